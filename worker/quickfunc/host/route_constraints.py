"""Inline route constraints of ASP.NET Core templates (``{id:int}``, ``{n:range(1,9)}``,
``{s:regex(...)}``): each becomes a check on the route value's text."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime

__all__ = ["Check", "RouteError", "build_constraint"]


class RouteError(ValueError):
    """A route template that cannot be used; the message names the template and the problem."""


Check = Callable[[str], bool]


def _int_range(low: int, high: int) -> Check:
    def check(value: str) -> bool:
        if not re.fullmatch(r"[+-]?\d+", value):
            return False
        return low <= int(value) <= high

    return check


def _is_double(value: str) -> bool:
    try:
        return math.isfinite(float(value)) and bool(re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?", value, re.IGNORECASE))
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    for fmt in ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    return False


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _as_long(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[+-]?\d+", value) else None


def _numbers(args: list[str], name: str, count: tuple[int, ...]) -> list[int]:
    if len(args) not in count:
        raise RouteError(f"constraint {name} takes {' or '.join(map(str, count))} argument(s)")
    try:
        return [int(a.strip()) for a in args]
    except ValueError:
        raise RouteError(f"constraint {name} needs whole-number arguments, got {args}") from None


def build_constraint(name: str, args: list[str] | None) -> Check:
    """One ``name`` or ``name(args)`` constraint; RouteError if unknown or malformed."""
    key = name.lower()
    simple: dict[str, Check] = {
        "int": _int_range(-(2**31), 2**31 - 1),
        "long": _int_range(-(2**63), 2**63 - 1),
        "bool": lambda v: v.lower() in ("true", "false"),
        "double": _is_double,
        "float": _is_double,
        "decimal": _is_double,
        "datetime": _is_datetime,
        "guid": _is_guid,
        "alpha": lambda v: bool(re.fullmatch(r"[a-zA-Z]+", v)),
        "required": lambda v: v != "",
        "file": lambda v: bool(re.search(r"\.[^.]+$", v)),
        "nonfile": lambda v: not re.search(r"\.[^.]+$", v),
    }
    if key in simple:
        if args is not None:
            raise RouteError(f"constraint {name} takes no arguments")
        return simple[key]
    if args is None:
        raise RouteError(
            f"unknown constraint {name!r} (known: int, long, bool, double, float, "
            "decimal, datetime, guid, alpha, required, file, nonfile, min(n), "
            "max(n), range(a,b), minlength(n), maxlength(n), length(n|a,b), "
            "regex(expr))"
        )
    if key == "regex":
        expr = ",".join(args)
        try:
            pattern = re.compile(expr, re.IGNORECASE)
        except re.error as exc:
            raise RouteError(f"regex({expr}) is not a valid regular expression: {exc}") from None
        return lambda v: pattern.search(v) is not None
    if key in ("min", "max"):
        (bound,) = _numbers(args, name, (1,))
        if key == "min":
            return lambda v: (n := _as_long(v)) is not None and n >= bound
        return lambda v: (n := _as_long(v)) is not None and n <= bound
    if key == "range":
        low, high = _numbers(args, name, (2,))
        return lambda v: (n := _as_long(v)) is not None and low <= n <= high
    if key == "minlength":
        (low,) = _numbers(args, name, (1,))
        return lambda v: len(v) >= low
    if key == "maxlength":
        (high,) = _numbers(args, name, (1,))
        return lambda v: len(v) <= high
    if key == "length":
        bounds = _numbers(args, name, (1, 2))
        low, high = (bounds[0], bounds[0]) if len(bounds) == 1 else bounds
        return lambda v: low <= len(v) <= high
    raise RouteError(f"unknown constraint {name}({', '.join(args)})")
