"""Parse the forms settings are written in: .NET log level names, byte sizes, .NET TimeSpans."""

from __future__ import annotations

import re

__all__ = ["LEVELS", "level_number", "canonical_level", "parse_size", "parse_timespan"]

#: .NET LogLevel names in order (same numbers as RpcLog.Level)
LEVELS = ("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None")


def level_number(name: str) -> int:
    """Index of a .NET log level name (any case) in LEVELS; ValueError if unknown."""
    for i, level in enumerate(LEVELS):
        if level.lower() == name.strip().lower():
            return i
    raise ValueError(f"unknown log level {name!r} (use one of {', '.join(LEVELS)})")


def canonical_level(name: str) -> str:
    """The .NET spelling of a log level name given in any case; ValueError if unknown."""
    return LEVELS[level_number(name)]


_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``1048576``, ``512KB``, ``10MB``, ``1GiB`` -> bytes (K = 1024)."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size (examples: 1048576, 512KB, 10MB)")
    unit = (m.group(2) or "b").lower()[0]
    return int(m.group(1)) * {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?$")


def parse_timespan(text: str) -> float:
    """A .NET TimeSpan ``[d.]hh:mm[:ss[.fff]]`` -> seconds; ValueError otherwise."""
    m = _TIMESPAN.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time span like 00:05:00 (hh:mm:ss)")
    days, hours, minutes, seconds, fraction = m.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        raise ValueError(
            f"{text!r} is not a time span: hours go up to 23, minutes and seconds up to 59 (write days as d.hh:mm:ss)"
        )
    total: float = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
    if fraction:
        total += float(f"0.{fraction}")
    return float(total)
