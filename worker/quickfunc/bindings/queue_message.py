"""Queue trigger input without the per-message cost of parsing timestamps: the library
converter's own parsing, remembered per distinct text (a burst shares a few timestamps)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from azure.functions.meta import Datum
from azure.functions.queue import QueueMessage

from ..protos import pb

__all__ = ["queue_message_decoder"]

#: distinct timestamp texts remembered (three a message; a burst repeats them)
_REMEMBERED = 512


def queue_message_decoder(
    converter: Any, slow: Callable[[pb.TypedData, Mapping[str, Datum]], Any]
) -> Callable[[pb.TypedData, Mapping[str, Datum]], Any]:
    """A decoder giving what ``converter.decode`` gives; anything unusual goes to ``slow`` (the
    library's path, which also words the errors)."""
    field = converter._decode_trigger_metadata_field
    parse = functools.lru_cache(maxsize=_REMEMBERED)(converter._parse_datetime)

    def stamp(metadata: Mapping[str, Datum], name: str) -> datetime | None:
        text = field(metadata, name, python_type=str)
        return None if text is None else parse(text)

    def decode(data: pb.TypedData, metadata: Mapping[str, Datum]) -> Any:
        kind = data.WhichOneof("data")
        if kind != "string" and kind != "bytes":
            return slow(data, metadata)
        try:
            return QueueMessage(
                id=field(metadata, "Id", python_type=str),
                body=data.string if kind == "string" else data.bytes,
                dequeue_count=field(metadata, "DequeueCount", python_type=int),
                expiration_time=stamp(metadata, "ExpirationTime"),
                insertion_time=stamp(metadata, "InsertionTime"),
                time_next_visible=stamp(metadata, "NextVisibleTime"),
                pop_receipt=field(metadata, "PopReceipt", python_type=str),
            )
        except Exception:  # let the library's path fail it, with its words
            return slow(data, metadata)

    return decode
