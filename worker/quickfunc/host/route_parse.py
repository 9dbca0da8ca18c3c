"""Parsing ASP.NET Core route templates: the parameters of ``{name:constraint=default?}``, the
parts of one segment, and the rules a segment's parts must follow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quickfunc.host.route_constraints import Check, RouteError, build_constraint

__all__ = ["Param", "check_segment", "segment_parts", "split_segments"]


@dataclass
class Param:
    name: str
    #: marked with '?'
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    constraints: list[Check] = field(default_factory=list)
    constraint_text: list[str] = field(default_factory=list)

    @property
    def may_be_absent(self) -> bool:
        """A request may leave this parameter's segment out."""
        return self.optional or self.catch_all or self.default is not None


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


def _parse_param(inner: str) -> Param:
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
    if optional and default is not None:
        raise RouteError(f"parameter {name} cannot be both optional ('?') and have a default")
    if optional and catch_all:
        raise RouteError(f"catch-all parameter {name} cannot be optional ('?'); a catch-all may always be left out")
    param = Param(name, optional, catch_all, default)
    for item in constraints:
        m = re.fullmatch(r"\s*([A-Za-z]+)\s*(?:\((.*)\))?\s*", item, re.DOTALL)
        if not m:
            raise RouteError(f"invalid constraint {item!r} on parameter {name}")
        args = (
            None if m.group(2) is None else ([m.group(2)] if m.group(1).lower() == "regex" else m.group(2).split(","))
        )
        param.constraints.append(build_constraint(m.group(1), args))
        param.constraint_text.append(item.strip())
    return param


def segment_parts(segment: str) -> list[str | Param]:
    """Literal text and parameters of one path segment (``{{`` / ``}}`` are literal braces)."""
    parts: list[str | Param] = []
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
            if parts and isinstance(parts[-1], Param):
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


def split_segments(template: str) -> list[str]:
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


def check_segment(parts: list[str | Param], is_last: bool) -> None:
    """ASP.NET Core's rules for the parts of one segment."""
    for i, part in enumerate(parts):
        if isinstance(part, str):
            if "?" in part:
                raise RouteError("a route cannot contain '?' outside a parameter")
            continue
        if part.catch_all and len(parts) > 1:
            raise RouteError("a catch-all parameter must be a whole segment")
        if part.catch_all and not is_last:
            raise RouteError(f"catch-all parameter {{*{part.name}}} must be the last segment")
        if part.optional and len(parts) > 1:
            if i != len(parts) - 1:
                raise RouteError(f"optional parameter {part.name} must be the last part of its segment")
            if parts[i - 1] != ".":
                raise RouteError(
                    f"optional parameter {part.name} shares a segment, so it must "
                    f"follow a period (.), not {parts[i - 1]!r}"
                )
