"""Request paths as the Functions host (Kestrel) hands them to routing: percent-decoded except
``%2F``, then dot segments removed (RFC 3986 §5.2.4), so ``..`` can never climb out of a route."""

from __future__ import annotations

import re

__all__ = ["PathError", "decode_path", "remove_dot_segments", "routing_path"]

_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class PathError(ValueError):
    """A request path the host refuses (answered with 400)."""


def routing_path(raw_path: str) -> str:
    """The path routing sees for a raw (still percent-encoded) request path."""
    return remove_dot_segments(decode_path(raw_path))


def decode_path(raw_path: str) -> str:
    """Percent-decode as UTF-8, keeping ``%2F`` as it is (so it never becomes a separator) and
    keeping escapes that are not valid UTF-8 as they were. An encoded NUL is a PathError."""
    if "%" not in raw_path:
        return raw_path
    return _ESCAPES.sub(_decode_run, raw_path)


def _decode_run(match: re.Match[str]) -> str:
    escaped = match.group(0)
    out: list[str] = []
    pending = bytearray()
    for i in range(0, len(escaped), 3):
        value = int(escaped[i + 1 : i + 3], 16)
        if value == 0:
            raise PathError("the path contains an encoded NUL character (%00)")
        if value == 0x2F:
            out.append(_utf8(pending))
            pending.clear()
            out.append(escaped[i : i + 3])
        else:
            pending.append(value)
    out.append(_utf8(pending))
    return "".join(out)


def _utf8(data: bytearray) -> str:
    text = data.decode("utf-8", "surrogateescape")
    return _UNDECODABLE.sub(lambda m: f"%{ord(m.group(0)) - 0xDC00:02X}", text)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 remove_dot_segments for an absolute path: ``/a/b/../c`` → ``/a/c``; ``..`` at
    the root stays at the root; a trailing ``.`` or ``..`` leaves a trailing '/'."""
    if not path.startswith("/") or "." not in path:
        return path
    pieces = path[1:].split("/")
    kept: list[str] = []
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        if piece == ".":
            if i == last:
                kept.append("")
        elif piece == "..":
            if kept:
                kept.pop()
            if i == last:
                kept.append("")
        else:
            kept.append(piece)
    return "/" + "/".join(kept)
