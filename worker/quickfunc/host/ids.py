"""Fresh identifiers for invocations and trace contexts, made without a system call each (the
``random`` generator, not ``os.urandom``: they need to be unique, not secret)."""

from __future__ import annotations

import os
import random
import time

__all__ = ["new_uuid", "random_hex", "time_ordered_uuid"]

_bits = random.getrandbits
#: version 4 and the RFC 4122 variant, as uuid.uuid4() sets them
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)
_SET_V7 = (0x7000 << 64) | (0x8000 << 48)


def new_uuid() -> str:
    """A random (version 4) UUID in its usual text form, as ``str(uuid.uuid4())`` gives."""
    h = f"{(_bits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def random_hex(digits: int) -> str:
    """``digits`` random lowercase hex digits."""
    return f"{_bits(digits * 4):0{digits}x}"


def time_ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562): Unix milliseconds, then 74 random bits from ``os.urandom``
    (unique across processes writing one store). Ids made one after another sit side by side in an
    index, so a store's inserts and deletes touch a few index pages, not one page each."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    h = f"{(value & _CLEAR) | _SET_V7:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
