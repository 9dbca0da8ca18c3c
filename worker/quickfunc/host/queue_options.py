"""host.json ``extensions.queues``: how queue triggers poll, lease, retry and poison messages and
how queue outputs encode them; the defaults are the Functions host's, written here once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from quickfunc.host.jsonfile import JsonFile, get_ci
from quickfunc.host.setting_values import parse_timespan

__all__ = ["QueueOptions", "parse_queue_options", "ENCODINGS"]

#: messageEncoding values the host takes
ENCODINGS = ("base64", "none")
#: the quickest the idle back-off starts from (seconds)
MIN_POLLING_INTERVAL = 0.1
#: the processor count the default newBatchThreshold multiplies by (read once: each os.cpu_count()
#: reads /sys, and the threshold is consulted at every completion)
_PROCESSORS = os.cpu_count() or 1


@dataclass(frozen=True)
class QueueOptions:
    """The queue settings of host.json, over the host's defaults."""

    batch_size: int = 16
    #: None: batch_size // 2 for each processor, as the host computes it outside the Consumption plan
    new_batch_threshold: int | None = None
    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    message_encoding: str = "base64"
    #: how long a received message stays leased (renewed while its function runs): the host's 10
    #: minutes; `--queue-lease` shortens it, so a killed host's messages come back sooner
    lease: float = 600.0

    @property
    def fetch_threshold(self) -> int:
        """A new batch is fetched once this many or fewer messages are still running."""
        if self.new_batch_threshold is not None:
            return self.new_batch_threshold
        # the Storage extension's QueuesOptions: (BatchSize / 2) * processor count, the count being
        # 1 only on the Consumption plan's dynamic SKU (Core Tools runs with the machine's)
        return self.batch_size // 2 * _PROCESSORS


def _int(doc: JsonFile, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise doc.error(f"extensions.queues.{key}", f"must be a whole number from {low} to {high} (got {value!r})")
    return value


def _span(doc: JsonFile, key: str, value: Any) -> float:
    if not isinstance(value, str):
        raise doc.error(f"extensions.queues.{key}", f'must be a time span string like "00:00:30" (got {value!r})')
    try:
        return parse_timespan(value)
    except ValueError as exc:
        raise doc.error(f"extensions.queues.{key}", str(exc)) from None


def parse_queue_options(doc: JsonFile, section: Any) -> QueueOptions:
    """``extensions.queues`` of host.json; errors name the key."""
    if not isinstance(section, dict):
        raise doc.error("extensions.queues", "must be a JSON object")
    values: dict[str, Any] = {}
    if (value := get_ci(section, "batchSize")) is not None:
        values["batch_size"] = _int(doc, "batchSize", value, 1, 32)
    if (value := get_ci(section, "newBatchThreshold")) is not None:
        values["new_batch_threshold"] = _int(doc, "newBatchThreshold", value, 0, 10_000)
    if (value := get_ci(section, "maxDequeueCount")) is not None:
        values["max_dequeue_count"] = _int(doc, "maxDequeueCount", value, 1, 10_000)
    if (value := get_ci(section, "maxPollingInterval")) is not None:
        values["max_polling_interval"] = max(MIN_POLLING_INTERVAL, _span(doc, "maxPollingInterval", value))
    if (value := get_ci(section, "visibilityTimeout")) is not None:
        values["visibility_timeout"] = _span(doc, "visibilityTimeout", value)
    if (value := get_ci(section, "messageEncoding")) is not None:
        if not isinstance(value, str) or value.lower() not in ENCODINGS:
            raise doc.error("extensions.queues.messageEncoding", f'must be "base64" or "none" (got {value!r})')
        values["message_encoding"] = value.lower()
    return QueueOptions(**values)
