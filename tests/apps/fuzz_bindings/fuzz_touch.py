"""What the fuzz functions do with their input: read everything a function would read.

Plain attributes and getters must never fail on a value the worker handed over; parsing the
payload (``get_json()``, ``form``, ``files``) may, and a careful function catches that.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

#: accessors that parse raw data on first use — the body (get_json, form, files), a raw Datum's
#: JSON (python_value, python_type), an event's JSON trigger metadata (EventHubEvent.metadata):
#: bad data makes them raise ValueError (RecursionError for very deeply nested JSON), which a
#: careful function handles
PARSERS = frozenset({"get_json", "form", "files", "python_value", "python_type", "metadata"})
#: zero-argument methods that read the value
READERS = frozenset({"read"})
#: properties the library itself declares unsupported: they raise NotImplementedError on every
#: value (ServiceBusMessage.force_persistence, "requires gRPC boolean support"), on the platform too
UNSUPPORTED = frozenset({"force_persistence"})
_MAX_DEPTH = 4
_MAX_ITEMS = 20


def touch(value: Any, depth: int = 0) -> None:
    """Read `value` the way user code would, recursively; raise only what is a real defect."""
    if depth > _MAX_DEPTH or value is None or isinstance(value, (str, bytes, bytearray, int, float, bool)):
        return
    if isinstance(value, Sequence):  # lists, tuples, protobuf repeated fields
        for item in list(value)[:_MAX_ITEMS]:
            touch(item, depth + 1)
        return
    if isinstance(value, Message):  # raw protocol values (model binding data, collections)
        for _field, item in value.ListFields():
            touch(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in list(value.items())[:_MAX_ITEMS]:
            touch(key, depth + 1)
            touch(item, depth + 1)
        return
    for name in dir(value):
        if name.startswith("_") or name in UNSUPPORTED:
            continue
        try:
            attr = getattr(value, name)
            if callable(attr):
                if not (name.startswith("get_") or name in READERS) or not _no_arguments(attr):
                    continue
                attr = attr()
        except (ValueError, RecursionError):  # json.loads raises RecursionError on deep nesting
            if name in PARSERS:
                continue
            raise
        touch(attr, depth + 1)


def _no_arguments(method: Any) -> bool:
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
