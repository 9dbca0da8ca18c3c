"""Kafka trigger input as the extension sends it to a non-.NET worker: each event as JSON text
(Offset, Partition, Topic, Timestamp, Value, Key, Headers) with Key/Partition/Topic/Timestamp/
Offset/Headers as metadata, or their ``...Array`` forms for cardinality many."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from quickfunc.protos import pb

from .shape import Fields, Shape, body_text, now
from .wire_values import Blobs, Longs, NetTime, Strings, to_json

__all__ = ["build", "EXAMPLE_ONE", "EXAMPLE_MANY"]

EXAMPLE_ONE = {"input": "event value", "metadata": {"Key": "k-1", "Headers": [{"Key": "h", "Value": "dmFsdWU="}]}}
EXAMPLE_MANY = {"input": ["first", "second"], "metadata": {"KeyArray": ["k-1", "k-2"]}}

_OFFSET = itertools.count(0)

FIELDS = Fields(
    kinds={"Key": "text", "Partition": "int", "Offset": "int", "Topic": "text", "Timestamp": "time", "Headers": "list"}
)


def _record(shape: Shape, item: Any) -> dict[str, Any]:
    return {
        "Value": body_text(item),
        "Key": None,
        "Partition": 0,
        "Offset": next(_OFFSET),
        "Topic": shape.setting("topic"),
        "Timestamp": now(),
        "Headers": [],
    }


def _headers(shape: Shape, value: Any) -> list[dict[str, Any]]:
    """Headers as the extension writes them: ``{"Key": name, "Value": base64 bytes}``; a
    ``{"name": "text"}`` object is accepted as a shorthand."""
    if isinstance(value, dict):
        return [
            {"Key": k, "Value": base64.b64encode(body_text(v).encode("utf-8")).decode("ascii")}
            for k, v in value.items()
        ]
    if not isinstance(value, list) or not all(isinstance(h, dict) and "Key" in h for h in value):
        raise shape.fail('metadata "Headers" must be a list of {"Key": name, "Value": base64} objects')
    return value


def _event(record: dict[str, Any]) -> str:
    """The event as the extension serialises it for the function (JSON text)."""
    event: dict[str, Any] = {
        "Offset": record["Offset"],
        "Partition": record["Partition"],
        "Topic": record["Topic"],
        "Timestamp": NetTime(record["Timestamp"], "utc"),
        "Value": record["Value"],
        "Headers": record["Headers"],
    }
    if record["Key"] is not None:
        event["Key"] = record["Key"]
    return to_json(event)


def build(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """The trigger's TypedData and metadata for ``shape``'s input and overrides."""
    records = [_record(shape, item) for item in shape.items()]
    rest = FIELDS.apply(shape, records)
    for record in records:
        record["Headers"] = _headers(shape, record["Headers"] or [])
        for key in ("Partition", "Offset", "Timestamp"):
            if record[key] is None:
                raise shape.fail(f"{key} cannot be null: every Kafka event has one")
    events = [_event(r) for r in records]
    values: dict[str, Any]
    if shape.many:
        batch = Blobs([e.encode("utf-8") for e in events]) if shape.binary else Strings(events)
        data = shape.wire.typed(batch)
        values = {
            "KeyArray": [r["Key"] for r in records],
            "PartitionArray": [r["Partition"] for r in records],
            "OffsetArray": Longs([r["Offset"] for r in records]),
            "TopicArray": Strings([r["Topic"] for r in records]),
            "TimestampArray": [NetTime(r["Timestamp"], "utc") for r in records],
            "HeadersArray": [r["Headers"] for r in records],
        }
    else:
        record = records[0]
        data = pb.TypedData(bytes=events[0].encode("utf-8")) if shape.binary else pb.TypedData(string=events[0])
        values = {
            "Key": record["Key"],
            "Partition": record["Partition"],
            "Offset": record["Offset"],
            "Topic": record["Topic"],
            "Timestamp": NetTime(record["Timestamp"], "utc"),
            "Headers": record["Headers"],
        }
    values.update(rest)
    assert data is not None
    return data, shape.wire.metadata(values)
