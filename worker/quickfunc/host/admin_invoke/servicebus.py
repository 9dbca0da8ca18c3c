"""Service Bus trigger input as the extension sends it: the body (one, or a collection for
cardinality many) with MessageId, DeliveryCount, UserProperties/ApplicationProperties, times and
the other message fields, or their ``...Array`` forms for a batch."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from quickfunc.protos import pb

from .shape import Fields, Shape, body_text, now
from .wire_values import Blobs, Longs, NetTime, Strings

__all__ = ["build", "EXAMPLE_ONE", "EXAMPLE_MANY"]

EXAMPLE_ONE = {"input": "message body", "metadata": {"MessageId": "m-1", "UserProperties": {"source": "test"}}}
EXAMPLE_MANY = {"input": ["first", "second"], "metadata": {"MessageIdArray": ["m-1", "m-2"]}}

#: a queue's default time to live when none is set on the message
_TIME_TO_LIVE = timedelta(days=14)
_SEQUENCE = itertools.count(1)

FIELDS = Fields(
    kinds={
        "MessageId": "text",
        "DeliveryCount": "int",
        "SequenceNumber": "int",
        "LockToken": "text",
        "EnqueuedTime": "time",
        "ExpiresAt": "time",
        "ContentType": "text",
        "CorrelationId": "text",
        "Subject": "text",
        "To": "text",
        "ReplyTo": "text",
        "SessionId": "text",
        "ReplyToSessionId": "text",
        "PartitionKey": "text",
        "TransactionPartitionKey": "text",
        "DeadLetterSource": "text",
        "ApplicationProperties": "object",
    },
    aliases={
        "EnqueuedTimeUtc": "EnqueuedTime",
        "ExpiresAtUtc": "ExpiresAt",
        "Label": "Subject",
        "UserProperties": "ApplicationProperties",
    },
)

#: metadata name -> (field, how it is written): the extension sends both the old and new names
_SENT = (
    ("DeliveryCount", "DeliveryCount", "int"),
    ("DeadLetterSource", "DeadLetterSource", "text"),
    ("LockToken", "LockToken", "text"),
    ("ExpiresAtUtc", "ExpiresAt", "unspecified"),
    ("ExpiresAt", "ExpiresAt", "offset"),
    ("EnqueuedTimeUtc", "EnqueuedTime", "unspecified"),
    ("EnqueuedTime", "EnqueuedTime", "offset"),
    ("MessageId", "MessageId", "text"),
    ("ContentType", "ContentType", "text"),
    ("ReplyTo", "ReplyTo", "text"),
    ("SequenceNumber", "SequenceNumber", "long"),
    ("To", "To", "text"),
    ("Subject", "Subject", "text"),
    ("Label", "Subject", "text"),
    ("CorrelationId", "CorrelationId", "text"),
    ("ApplicationProperties", "ApplicationProperties", "object"),
    ("UserProperties", "ApplicationProperties", "object"),
    ("SessionId", "SessionId", "text"),
    ("ReplyToSessionId", "ReplyToSessionId", "text"),
    ("PartitionKey", "PartitionKey", "text"),
    ("TransactionPartitionKey", "TransactionPartitionKey", "text"),
)


def _record(item: Any) -> dict[str, Any]:
    """A freshly received message: delivered once, enqueued now, locked, never expired."""
    enqueued = now()
    return {
        "body": body_text(item),
        "MessageId": uuid.uuid4().hex,
        "DeliveryCount": 1,
        "SequenceNumber": next(_SEQUENCE),
        "LockToken": str(uuid.uuid4()),
        "EnqueuedTime": enqueued,
        "ExpiresAt": enqueued + _TIME_TO_LIVE,
        "ContentType": None if isinstance(item, str) else "application/json",
        "ApplicationProperties": {},
    }


def _single(name: str, value: Any, how: str) -> Any:
    if value is None:
        return None
    if how in ("unspecified", "offset"):
        return NetTime(value, how)
    return value


def _array(records: list[dict[str, Any]], key: str, how: str) -> Any:
    values = [record.get(key) for record in records]
    if how == "text":
        return Strings(values)
    if how == "long":
        return Longs([v or 0 for v in values])
    if how == "int":
        return [v or 0 for v in values]  # int[]: JSON, not a collection
    if how == "object":
        return [v if v is not None else {} for v in values]
    return [NetTime(v, how) if v is not None else None for v in values]


def build(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """The trigger's TypedData and metadata for ``shape``'s input and overrides."""
    records = [_record(item) for item in shape.items()]
    rest = FIELDS.apply(shape, records)
    values: dict[str, Any] = {}
    if shape.many:
        bodies = [r["body"].encode("utf-8") for r in records]
        data = shape.wire.typed(Blobs(bodies) if shape.binary else Strings([r["body"] for r in records]))
        for name, key, how in _SENT:
            # the extension fills TransactionPartitionKeyArray from the partition keys
            source = "PartitionKey" if name == "TransactionPartitionKey" else key
            values[name + "Array"] = _array(records, source, how)
    else:
        record = records[0]
        body = record["body"]
        data = pb.TypedData(bytes=body.encode("utf-8")) if shape.binary else pb.TypedData(string=body)
        for name, key, how in _SENT:
            values[name] = _single(name, record.get(key), how)
    values.update(rest)
    assert data is not None
    return data, shape.wire.metadata(values)
