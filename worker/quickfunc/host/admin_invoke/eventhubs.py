"""Event Hubs trigger input as the extension sends it: the event body (or a collection for
cardinality many), PartitionContext, SystemProperties, Properties, EnqueuedTimeUtc, SequenceNumber,
Offset, PartitionKey, or their ``...Array`` forms for a batch."""

from __future__ import annotations

import itertools
import re
from typing import Any

from quickfunc.protos import pb

from .shape import Fields, Shape, body_text, now
from .wire_values import Blobs, Longs, NetTime, Strings

__all__ = ["build", "EXAMPLE_ONE", "EXAMPLE_MANY"]

EXAMPLE_ONE = {"input": "event body", "metadata": {"PartitionKey": "p-1", "Properties": {"source": "test"}}}
EXAMPLE_MANY = {"input": ["first", "second"], "metadata": {"PropertiesArray": [{"n": 1}, {"n": 2}]}}

_SEQUENCE = itertools.count(1)
_ENDPOINT = re.compile(r"Endpoint\s*=\s*sb://([^/;]+)", re.IGNORECASE)

FIELDS = Fields(
    kinds={
        "PartitionKey": "text",
        "Offset": "int",
        "SequenceNumber": "int",
        "EnqueuedTimeUtc": "time",
        "Properties": "object",
    }
)


def _record(item: Any) -> dict[str, Any]:
    number = next(_SEQUENCE)
    return {
        "body": body_text(item),
        "PartitionKey": None,
        "Offset": number * 1024,
        "SequenceNumber": number,
        "EnqueuedTimeUtc": now(),
        "Properties": {},
    }


def _system_properties(record: dict[str, Any]) -> dict[str, Any]:
    """The AMQP annotations of a received event plus the copies the extension adds."""
    props: dict[str, Any] = {
        "x-opt-sequence-number": record["SequenceNumber"],
        "x-opt-offset": str(record["Offset"]),
        "x-opt-enqueued-time": NetTime(record["EnqueuedTimeUtc"], "offset"),
    }
    if record["PartitionKey"] is not None:
        props["x-opt-partition-key"] = record["PartitionKey"]
    props.update(
        {
            "SequenceNumber": record["SequenceNumber"],
            "Offset": record["Offset"],
            "PartitionKey": record["PartitionKey"],
            "EnqueuedTimeUtc": NetTime(record["EnqueuedTimeUtc"]),
        }
    )
    return props


def _partition_context(shape: Shape) -> dict[str, str]:
    """Which hub, consumer group and partition the event came from (partition 0 here)."""
    connection = shape.setting("connection")
    found = _ENDPOINT.search(shape.settings.get(connection, ""))
    return {
        "FullyQualifiedNamespace": found.group(1) if found else "localhost",
        "EventHubName": shape.setting("eventHubName"),
        "ConsumerGroup": shape.setting("consumerGroup", "$Default"),
        "PartitionId": "0",
    }


def build(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """The trigger's TypedData and metadata for ``shape``'s input and overrides."""
    records = [_record(item) for item in shape.items()]
    rest = FIELDS.apply(shape, records)
    for record in records:
        if record["Offset"] is None or record["SequenceNumber"] is None or record["EnqueuedTimeUtc"] is None:
            raise shape.fail("Offset, SequenceNumber and EnqueuedTimeUtc cannot be null: every event has them")
        record["Properties"] = record["Properties"] or {}
    values: dict[str, Any] = {"PartitionContext": _partition_context(shape)}
    if shape.many:
        bodies = [r["body"] for r in records]
        batch = Blobs([b.encode("utf-8") for b in bodies]) if shape.binary else Strings(bodies)
        data = shape.wire.typed(batch)
        values.update(
            {
                "PartitionKeyArray": Strings([r["PartitionKey"] for r in records]),
                "OffsetArray": Strings([str(r["Offset"]) for r in records]),
                "SequenceNumberArray": Longs([r["SequenceNumber"] for r in records]),
                "EnqueuedTimeUtcArray": [NetTime(r["EnqueuedTimeUtc"]) for r in records],
                "PropertiesArray": [r["Properties"] for r in records],
                "SystemPropertiesArray": [_system_properties(r) for r in records],
            }
        )
    else:
        record = records[0]
        body = record["body"]
        data = pb.TypedData(bytes=body.encode("utf-8")) if shape.binary else pb.TypedData(string=body)
        values.update(
            {
                "PartitionKey": record["PartitionKey"],
                "Offset": record["Offset"],
                "SequenceNumber": record["SequenceNumber"],
                "EnqueuedTimeUtc": NetTime(record["EnqueuedTimeUtc"]),
                "Properties": record["Properties"],
                "SystemProperties": _system_properties(record),
            }
        )
    values.update(rest)
    assert data is not None
    return data, shape.wire.metadata(values)
