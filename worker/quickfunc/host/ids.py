"""Fresh identifiers for invocations and trace contexts, made without a system call each (the
``random`` generator, not ``os.urandom``: they need to be unique, not secret)."""

from __future__ import annotations

import random

__all__ = ["new_uuid", "random_hex"]

_bits = random.getrandbits
#: version 4 and the RFC 4122 variant, as uuid.uuid4() sets them
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid() -> str:
    """A random (version 4) UUID in its usual text form, as ``str(uuid.uuid4())`` gives."""
    h = f"{(_bits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def random_hex(digits: int) -> str:
    """``digits`` random lowercase hex digits."""
    return f"{_bits(digits * 4):0{digits}x}"
