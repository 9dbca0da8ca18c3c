"""Python values as the Functions host puts binding data on the wire: text as ``string``, bytes
as ``bytes``, floats as ``double``, string/long/bytes arrays as collections when the worker takes
them, everything else (numbers, times, objects, other arrays) as JSON, as .NET would write it."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from quickfunc.protos import pb

__all__ = ["NetTime", "Strings", "Longs", "Blobs", "Wire", "to_json"]


@dataclass(frozen=True)
class NetTime:
    """A moment as .NET serialises it: a ``DateTime`` of unspecified kind (no zone, what
    ``DateTimeOffset.DateTime`` gives), a UTC ``DateTime`` (``Z``) or a ``DateTimeOffset``."""

    moment: datetime
    style: str = "unspecified"  # "unspecified" | "utc" | "offset"

    def text(self) -> str:
        moment = self.moment
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
        fraction = f"{moment.microsecond:06d}".rstrip("0")
        if fraction:
            stamp += "." + fraction
        return stamp + {"utc": "Z", "offset": "+00:00"}.get(self.style, "")


@dataclass(frozen=True)
class Strings:
    """A ``string[]``: a ``collection_string`` for a worker with TypedDataCollection."""

    items: Sequence[str | None]


@dataclass(frozen=True)
class Longs:
    """A ``long[]``: a ``collection_sint64`` for a worker with TypedDataCollection."""

    items: Sequence[int]


@dataclass(frozen=True)
class Blobs:
    """A ``byte[][]``: a ``collection_bytes`` for a worker with TypedDataCollection."""

    items: Sequence[bytes]


def _plain(value: Any) -> Any:
    if isinstance(value, NetTime):
        return value.text()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")  # how Json.NET writes byte[]
    if isinstance(value, (Strings, Longs, Blobs)):
        return [_plain(item) if isinstance(item, (NetTime, bytes, bytearray)) else item for item in value.items]
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any) -> str:
    """Compact JSON, with times, bytes and typed arrays written as .NET writes them."""
    if isinstance(value, (NetTime, Strings, Longs, Blobs)):
        value = _plain(value)
    return json.dumps(value, default=_plain, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Wire:
    """What the worker said it takes: collections (TypedDataCollection) and empty entries in
    string collections (IncludeEmptyEntriesInMessagePayload)."""

    collections: bool = True
    empty_entries: bool = True

    @classmethod
    def of(cls, capabilities: Mapping[str, str]) -> Wire:
        return cls(
            collections=bool(capabilities.get("TypedDataCollection")),
            empty_entries=bool(capabilities.get("IncludeEmptyEntriesInMessagePayload")),
        )

    def typed(self, value: Any) -> pb.TypedData | None:
        """The TypedData for one value; None for None (the host sends no entry for it)."""
        if value is None:
            return None
        if isinstance(value, str):
            return pb.TypedData(string=value)
        if isinstance(value, (bytes, bytearray)):
            return pb.TypedData(bytes=bytes(value))
        if isinstance(value, float):
            return pb.TypedData(double=value)
        if self.collections and isinstance(value, Strings):
            kept = [s or "" for s in value.items if s or self.empty_entries]
            return pb.TypedData(collection_string=pb.CollectionString(string=kept))
        if self.collections and isinstance(value, Longs):
            return pb.TypedData(collection_sint64=pb.CollectionSInt64(sint64=list(value.items)))
        if self.collections and isinstance(value, Blobs):
            return pb.TypedData(collection_bytes=pb.CollectionBytes(bytes=list(value.items)))
        return pb.TypedData(json=to_json(value))

    def metadata(self, values: Mapping[str, Any]) -> dict[str, pb.TypedData]:
        """Trigger metadata from named values, leaving out the None ones."""
        out: dict[str, pb.TypedData] = {}
        for name, value in values.items():
            typed = self.typed(value)
            if typed is not None:
                out[name] = typed
        return out
