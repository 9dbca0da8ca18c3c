"""Queue messages between the host and functions: the messages an output value holds, their
encoding on the queue (messageEncoding), and a received message as trigger input and metadata."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime

from quickfunc.host.storage.interface import QueueMessage
from quickfunc.protos import pb

__all__ = [
    "MessageError",
    "output_messages",
    "encode_message",
    "decode_message",
    "trigger_data",
    "trigger_metadata",
    "resolve_settings",
]

_SETTING = re.compile(r"%([^%]+)%")


class MessageError(ValueError):
    """A message that cannot be written or read; the text says which and why."""


def resolve_settings(text: str, settings: Mapping[str, str], where: str) -> str:
    """Replace each ``%Name%`` with the app setting's value; MessageError names a missing one."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = settings.get(name)
        if found is None:
            raise MessageError(f"{where}: the app setting {name!r} (written %{name}%) is not set")
        return found

    return _SETTING.sub(value, text)


def _json_message(item: object) -> bytes:
    return (item if isinstance(item, str) else json.dumps(item)).encode("utf-8")


def output_messages(value: pb.TypedData) -> list[bytes]:
    """The messages an output value holds: one per list item (a JSON array or a collection),
    else one; objects as JSON text."""
    kind = value.WhichOneof("data")
    if kind == "string":
        return [value.string.encode("utf-8")]
    if kind == "bytes":
        return [value.bytes]
    if kind == "json":
        try:
            parsed = json.loads(value.json)
        except json.JSONDecodeError:
            return [value.json.encode("utf-8")]
        if isinstance(parsed, list):
            return [_json_message(item) for item in parsed]
        return [value.json.encode("utf-8")]
    if kind == "collection_string":
        return [s.encode("utf-8") for s in value.collection_string.string]
    if kind == "collection_bytes":
        return list(value.collection_bytes.bytes)
    if kind in ("int", "double"):
        return [str(getattr(value, kind)).encode("utf-8")]
    return []


def encode_message(payload: bytes, encoding: str) -> bytes:
    """A message's content as it is stored on the queue."""
    if encoding == "base64":
        return base64.b64encode(payload)
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise MessageError('binary content needs messageEncoding "base64" (host.json extensions.queues)') from None
    return payload


def decode_message(stored: bytes, encoding: str) -> bytes:
    """A stored message's content as the function gets it."""
    if encoding != "base64":
        return stored
    try:
        return base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        raise MessageError(
            'the message is not base64, which host.json extensions.queues messageEncoding ("base64", '
            'the default) says it is; set messageEncoding to "none" for plain-text messages'
        ) from None


def trigger_data(payload: bytes, data_type: str) -> pb.TypedData:
    """The trigger input: text as a string, bytes for dataType binary or content not UTF-8."""
    if data_type.lower() != "binary":
        try:
            return pb.TypedData(string=payload.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return pb.TypedData(bytes=payload)


_STAMPS: dict[int, str] = {}  # whole seconds -> text: a burst of messages shares a few


def _stamp(moment: datetime | None) -> str:
    if moment is None:
        return ""
    second = int(moment.timestamp())
    text = _STAMPS.get(second)
    if text is None:
        if len(_STAMPS) >= 4096:
            _STAMPS.clear()
        text = _STAMPS[second] = moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return text


def trigger_metadata(message: QueueMessage, payload: bytes) -> dict[str, pb.TypedData]:
    """The metadata the host sends with a queue-triggered invocation."""
    values = {
        "QueueTrigger": payload.decode("utf-8", "replace"),
        "Id": message.id,
        "PopReceipt": message.pop_receipt,
        "InsertionTime": _stamp(message.insertion_time),
        "ExpirationTime": _stamp(message.expiration_time),
        "NextVisibleTime": _stamp(message.next_visible_time),
    }
    metadata = {name: pb.TypedData(string=text) for name, text in values.items() if text}
    metadata["DequeueCount"] = pb.TypedData(json=str(message.dequeue_count))
    return metadata
