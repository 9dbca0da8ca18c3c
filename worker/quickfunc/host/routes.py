"""Route templates as the Functions host understands them (ASP.NET Core syntax: ``{id:int}``,
``{name?}``, ``{*rest}``), and a table picking the most specific route, or telling 404 from 405."""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, TypeVar

__all__ = ["RouteError", "RouteTemplate", "RouteTable", "RouteMatch", "MethodNotAllowed",
           "parse_template"]

T = TypeVar("T")


class RouteError(ValueError):
    """A route template that cannot be used; the message names the template and the problem."""


# ---- constraints ------------------------------------------------------------------------------

Check = Callable[[str], bool]


def _int_range(low: int, high: int) -> Check:
    def check(value: str) -> bool:
        if not re.fullmatch(r"[+-]?\d+", value):
            return False
        return low <= int(value) <= high
    return check


def _is_double(value: str) -> bool:
    try:
        return math.isfinite(float(value)) and bool(re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?",
                                                                   value, re.IGNORECASE))
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


def _build_constraint(name: str, args: list[str] | None) -> Check:
    """One ``name`` or ``name(args)`` constraint; RouteError if unknown or malformed."""
    key = name.lower()
    simple: dict[str, Check] = {
        "int": _int_range(-2 ** 31, 2 ** 31 - 1),
        "long": _int_range(-2 ** 63, 2 ** 63 - 1),
        "bool": lambda v: v.lower() in ("true", "false"),
        "double": _is_double, "float": _is_double, "decimal": _is_double,
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
        raise RouteError(f"unknown constraint {name!r} (known: int, long, bool, double, float, "
                         "decimal, datetime, guid, alpha, required, file, nonfile, min(n), "
                         "max(n), range(a,b), minlength(n), maxlength(n), length(n|a,b), "
                         "regex(expr))")
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


# ---- parsing ----------------------------------------------------------------------------------


@dataclass
class _Param:
    name: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    constraints: list[Check] = field(default_factory=list)
    constraint_text: list[str] = field(default_factory=list)


def _split_depth0(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _parse_param(inner: str) -> _Param:
    text = inner.strip()
    if not text:
        raise RouteError("empty parameter {}")
    catch_all = text.startswith("*")
    text = text.lstrip("*")
    pieces = _split_depth0(text, ":")
    head, constraints = pieces[0], pieces[1:]
    # optional marker / default value come last: on the name or on the last constraint
    last = constraints[-1] if constraints else head
    optional, default = False, None
    depth_free = _split_depth0(last, "=")
    if len(depth_free) > 1:
        default = "=".join(depth_free[1:])
        last = depth_free[0]
    if last.endswith("?"):
        optional, last = True, last[:-1]
    if constraints:
        constraints[-1] = last
    else:
        head = last
    name = head.strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
        raise RouteError(f"invalid parameter name {name!r}")
    param = _Param(name, optional or default is not None, catch_all, default)
    for item in constraints:
        m = re.fullmatch(r"\s*([A-Za-z]+)\s*(?:\((.*)\))?\s*", item, re.DOTALL)
        if not m:
            raise RouteError(f"invalid constraint {item!r} on parameter {name}")
        args = None if m.group(2) is None else (
            [m.group(2)] if m.group(1).lower() == "regex" else m.group(2).split(","))
        param.constraints.append(_build_constraint(m.group(1), args))
        param.constraint_text.append(item.strip())
    return param


def _segment_parts(segment: str) -> list[str | _Param]:
    """Literal text and parameters of one path segment (``{{`` / ``}}`` are literal braces)."""
    parts: list[str | _Param] = []
    literal, i, n = [], 0, len(segment)
    while i < n:
        c = segment[i]
        if c == "{" and segment.startswith("{{", i):
            literal.append("{")
            i += 2
        elif c == "}" and segment.startswith("}}", i):
            literal.append("}")
            i += 2
        elif c == "{":
            inner, i = _read_param(segment, i + 1)
            if literal:
                parts.append("".join(literal))
                literal = []
            if parts and isinstance(parts[-1], _Param):
                raise RouteError("two parameters must be separated by literal text")
            parts.append(_parse_param(inner))
        elif c == "}":
            raise RouteError("unmatched '}'")
        else:
            literal.append(c)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _read_param(segment: str, i: int) -> tuple[str, int]:
    out, n = [], len(segment)
    while i < n:
        if segment.startswith("}}", i):
            out.append("}")
            i += 2
        elif segment.startswith("{{", i):
            out.append("{")
            i += 2
        elif segment[i] == "}":
            return "".join(out), i + 1
        else:
            out.append(segment[i])
            i += 1
    raise RouteError("unclosed '{'")


def _split_segments(template: str) -> list[str]:
    """Split on '/' outside braces (a regex constraint may contain '/')."""
    segments, depth, start, i = [], 0, 0, 0
    while i < len(template):
        if template.startswith("{{", i) or template.startswith("}}", i):
            i += 2
            continue
        c = template[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif c == "/" and depth == 0:
            segments.append(template[start:i])
            start = i + 1
        i += 1
    segments.append(template[start:])
    return segments


@dataclass
class RouteTemplate:
    """A compiled route template."""

    text: str
    regex: re.Pattern[str]
    params: list[_Param]
    #: ASP.NET-style inbound precedence: lower sorts first (more specific)
    precedence: tuple[int, ...]

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a request path (without leading '/'), or None."""
        m = self.regex.fullmatch(path.strip("/"))
        if m is None:
            return None
        values: dict[str, str] = {}
        for i, param in enumerate(self.params):
            value = m.group(f"p{i}")
            if value is None or value == "":
                if param.default is not None:
                    values[param.name] = param.default
                elif not (param.optional or param.catch_all):
                    return None
                continue
            if not all(check(value) for check in param.constraints):
                return None
            values[param.name] = value
        return values


def parse_template(text: str) -> RouteTemplate:
    """Compile a route template; RouteError names the template and what is wrong with it."""
    try:
        return _compile(text)
    except RouteError as exc:
        raise RouteError(f"route {text!r}: {exc}") from None


def _compile(text: str) -> RouteTemplate:
    template = text.strip().strip("/")
    params: list[_Param] = []
    # (fragment, may be left out) per segment; folded from the end into nested optional groups
    fragments: list[tuple[str, bool]] = []
    precedence: list[int] = []
    segments = _split_segments(template) if template else []
    for index, segment in enumerate(segments):
        if segment == "":
            raise RouteError("empty segment ('//')")
        parts = _segment_parts(segment)
        lead = "/" if index else ""
        if len(parts) == 1 and isinstance(parts[0], _Param):
            param = parts[0]
            if param.catch_all and index != len(segments) - 1:
                raise RouteError(f"catch-all parameter {{*{param.name}}} must be the last segment")
            group = f"(?P<p{len(params)}>{'.*' if param.catch_all else '[^/]+'})"
            fragments.append((lead + group, param.optional or param.catch_all))
            params.append(param)
            precedence.append(5 if param.catch_all else (3 if param.constraints else 4))
            continue
        piece = [lead]
        for part in parts:
            if isinstance(part, str):
                if "?" in part:
                    raise RouteError("a route cannot contain '?' outside a parameter")
                piece.append(re.escape(part))
            else:
                if part.catch_all:
                    raise RouteError("a catch-all parameter must be a whole segment")
                piece.append(f"(?P<p{len(params)}>[^/]+{'?' if part.optional else ''})")
                params.append(part)
        fragments.append(("".join(piece), False))
        precedence.append(1 if all(isinstance(p, str) for p in parts) else 2)
    pattern = ""
    for i in range(len(fragments) - 1, -1, -1):
        fragment, optional = fragments[i]
        if optional:
            pattern = f"(?:{fragment}{pattern})?"
        elif any(opt for _, opt in fragments[:i]):
            raise RouteError("an optional parameter must be followed only by optional ones")
        else:
            pattern = fragment + pattern
    names = [p.name.lower() for p in params]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RouteError(f"parameter {sorted(duplicates)[0]} appears more than once")
    return RouteTemplate(text, re.compile(pattern, re.IGNORECASE | re.DOTALL), params,
                         tuple(precedence))


# ---- the table --------------------------------------------------------------------------------


@dataclass
class RouteMatch(Generic[T]):
    target: T
    values: dict[str, str]


@dataclass
class MethodNotAllowed:
    allowed: list[str]


@dataclass
class _Entry(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None  # None = every method
    target: T
    order: int


class RouteTable(Generic[T]):
    """Routes in precedence order; ``match`` returns a RouteMatch, MethodNotAllowed or None."""

    def __init__(self) -> None:
        self._entries: list[_Entry[T]] = []

    def add(self, template: str | RouteTemplate, methods: Any, target: T) -> RouteTemplate:
        compiled = parse_template(template) if isinstance(template, str) else template
        allowed = None
        if methods:
            allowed = frozenset(str(m).upper() for m in methods)
        self._entries.append(_Entry(compiled, allowed, target, len(self._entries)))
        self._entries.sort(key=lambda e: (e.template.precedence, e.order))
        return compiled

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, path: str, method: str) -> RouteMatch[T] | MethodNotAllowed | None:
        method = method.upper()
        allowed: set[str] = set()
        for entry in self._entries:
            values = entry.template.match(path)
            if values is None:
                continue
            if entry.methods is None or method in entry.methods:
                return RouteMatch(entry.target, values)
            allowed |= entry.methods
        if allowed:
            return MethodNotAllowed(sorted(allowed))
        return None
