"""JSON-document triggers: an Event Grid event (with its ``data`` as metadata), a Cosmos DB
change-feed batch of documents, and SQL / MySQL change lists (``Operation`` and ``Item``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from quickfunc.protos import pb

from .shape import Shape, now
from .wire_values import NetTime, to_json

__all__ = ["event_grid", "cosmos_db", "sql_changes", "EXAMPLES"]

EXAMPLES: dict[str, dict[str, Any]] = {
    "eventgridtrigger": {
        "input": {"subject": "orders/1", "eventType": "Order.Created", "data": {"id": 1}, "dataVersion": "1.0"}
    },
    "cosmosdbtrigger": {"input": [{"id": "1", "name": "first"}]},
    "sqltrigger": {"input": [{"Operation": 0, "Item": {"Id": 1, "Name": "first"}}]},
    "mysqltrigger": {"input": [{"Operation": 0, "Item": {"Id": 1, "Name": "first"}}]},
}

_OPERATIONS = {"insert": 0, "update": 1, "delete": 2}


def _parsed(shape: Shape) -> Any:
    """The input, with JSON text parsed (these triggers take JSON)."""
    value = shape.value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise shape.fail(f"its input must be JSON; the text given is not ({exc.msg})") from None
    return value


def event_grid(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """One event (Event Grid or CloudEvents schema); what a delivered event always has is filled in."""
    event = _parsed(shape)
    if not isinstance(event, dict):
        raise shape.fail("its input must be one event, a JSON object (the host invokes once per event)")
    event = dict(event)
    event.setdefault("id", str(uuid.uuid4()))
    if "specversion" in event:
        event.setdefault("source", "/quickfunc/admin")
        event.setdefault("type", "")
        event.setdefault("time", NetTime(now(), "utc"))
    else:
        event.setdefault("topic", "")
        event.setdefault("subject", "")
        event.setdefault("eventType", "")
        event.setdefault("eventTime", NetTime(now(), "utc"))
        event.setdefault("dataVersion", "")
        event.setdefault("metadataVersion", "1")
    metadata = {}
    if "data" in event:  # a JSON token, so always JSON (a string data too)
        metadata["data"] = pb.TypedData(json=to_json(event["data"]))
    metadata.update(shape.wire.metadata(shape.overrides))
    return pb.TypedData(json=to_json(event)), metadata


def cosmos_db(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """A change-feed batch: a list of documents (one object is a batch of one), each with the
    system properties a stored document has."""
    documents = _parsed(shape)
    if isinstance(documents, dict):
        documents = [documents]
    if not isinstance(documents, list) or not documents or not all(isinstance(d, dict) for d in documents):
        raise shape.fail("its input must be a JSON list of documents (objects)")
    stamp = int(time.time())
    filled = []
    for document in documents:
        document = dict(document)
        document.setdefault("id", str(uuid.uuid4()))
        document.setdefault("_rid", uuid.uuid4().hex[:12])
        document.setdefault("_etag", f'"{uuid.uuid4()}"')
        document.setdefault("_ts", stamp)
        document.setdefault("_lsn", 1)
        filled.append(document)
    return pb.TypedData(json=to_json(filled)), shape.wire.metadata(shape.overrides)


def _change(shape: Shape, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise shape.fail("each change must be a JSON object: a row, or {'Operation': 0, 'Item': row}")
    if "Item" not in item:
        return {"Operation": 0, "Item": item}
    operation = item.get("Operation", 0)
    if isinstance(operation, str) and operation.lower() in _OPERATIONS:
        operation = _OPERATIONS[operation.lower()]
    if operation not in (0, 1, 2):
        raise shape.fail("a change's Operation is 0 (insert), 1 (update) or 2 (delete)")
    return {"Operation": operation, "Item": item["Item"]}


def sql_changes(shape: Shape) -> tuple[pb.TypedData, dict[str, pb.TypedData]]:
    """A list of changes as the SQL extensions serialise them (JSON text); a plain row counts
    as an insert of it."""
    changes = _parsed(shape)
    if isinstance(changes, dict):
        changes = [changes]
    if not isinstance(changes, list) or not changes:
        raise shape.fail("its input must be a JSON list of changes")
    text = to_json([_change(shape, item) for item in changes])
    return pb.TypedData(string=text), shape.wire.metadata(shape.overrides)
