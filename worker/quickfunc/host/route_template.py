"""Route templates in ASP.NET Core syntax (``{id:int}``, ``{name?}``, ``{*rest}``, ``{file}.{ext}``)
and their matching: segment by segment, complex segments right to left, linear in the path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from quickfunc.host.route_constraints import RouteError
from quickfunc.host.route_parse import (
    Param,
    check_segment,
    segment_parts,
    split_segments,
)

__all__ = ["RouteTemplate", "parse_template"]

# ---- segments ---------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case, one character for one (so positions in the folded text are positions in the
    original), like .NET's OrdinalIgnoreCase comparisons."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass
class _Segment:
    """One '/'-separated piece of a template."""

    parts: list[str | Param]
    #: "literal", "param", "catchall" or "complex"
    kind: str
    #: the literal parts, case-folded (None for parameters)
    folded: list[str | None]

    @classmethod
    def of(cls, parts: list[str | Param]) -> _Segment:
        first = parts[0]
        if len(parts) > 1:
            kind = "complex"
        elif isinstance(first, str):
            kind = "literal"
        else:
            kind = "catchall" if first.catch_all else "param"
        return cls(parts, kind, [_fold(p) if isinstance(p, str) else None for p in parts])

    def capture(self, text: str, found: dict[str, str]) -> bool:
        """Match one non-empty request segment, adding the values it holds to ``found``."""
        if self.kind == "literal":
            return _fold(text) == self.folded[0]
        if self.kind == "param":
            found[self.parts[0].name] = text  # type: ignore[union-attr]
            return True
        values = _match_complex(self, text)
        if values is None:
            return False
        found.update(values)
        return True


# ---- complex segments ---------------------------------------------------------------------------


def _match_complex(segment: _Segment, text: str) -> dict[str, str] | None:
    """Values of a segment mixing literals and parameters (``{name}.{ext}``), found as ASP.NET
    Core finds them: from the right, each literal at its last place left of the text already
    taken. ``{a}-{b}`` splits ``x-y-z`` into a=x-y, b=z; there is no backtracking, so the work is
    linear in the segment's length."""
    parts = segment.parts
    folded = _fold(text)
    last = parts[-1]
    if isinstance(last, Param) and last.optional:
        # ``{name}.{ext?}``: with the extension, else (no trailing '.') without it
        values = _complex_core(segment, folded, text, len(parts) - 1)
        if values is not None or text.endswith("."):
            return values
        return _complex_core(segment, folded, text, len(parts) - 3)
    return _complex_core(segment, folded, text, len(parts) - 1)


def _complex_core(segment: _Segment, folded: str, text: str, index: int) -> dict[str, str] | None:
    parts, literals = segment.parts, segment.folded
    right = len(text)  # everything from here on is taken
    pending: Param | None = None  # a parameter waiting for the literal on its left
    literal: str | None = None  # that literal, once found
    values: dict[str, str] = {}
    while index >= 0:
        part = parts[index]
        new_right = right
        if isinstance(part, Param):
            pending = part
        else:
            literal = literals[index]
            assert literal is not None
            # a pending parameter needs at least one character
            limit = right - 1 if pending is not None else right
            if limit <= 0:
                return None
            at = folded.rfind(literal, 0, limit)
            if at < 0:
                return None
            if index == len(parts) - 1 and at + len(literal) != len(text):
                return None  # a literal at the end must end the segment
            new_right = at
        if pending is not None and (index == 0 or not isinstance(part, Param)):
            begin = 0 if literal is None or isinstance(part, Param) else new_right + len(literal)
            if begin >= right:
                return None  # every parameter of a complex segment needs a value
            values[pending.name] = text[begin:right]
            pending = literal = None
        right = new_right
        index -= 1
    # a literal first must reach the start of the segment ("v{n}" does not match "xv1")
    if right == 0 or isinstance(parts[0], Param):
        return values
    return None


# ---- templates ----------------------------------------------------------------------------------


def _pieces(path: str) -> Iterator[tuple[int, int]]:
    """(start, stop) of each segment of a path without its leading '/'; one trailing '/' is
    ignored, as ASP.NET Core routing ignores it ("a//b" has an empty segment)."""
    if not path:
        return
    pos, end = 0, len(path)
    while True:
        slash = path.find("/", pos)
        if slash < 0:
            yield pos, end
            return
        yield pos, slash
        pos = slash + 1
        if pos == end:
            return


@dataclass
class RouteTemplate:
    """A compiled route template."""

    text: str
    segments: list[_Segment]
    params: list[Param]
    #: ASP.NET-style inbound precedence: lower sorts first (more specific)
    precedence: tuple[int, ...]

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a request path as routed (percent-decoded except %2F, dot segments
        removed; the leading '/' may be left out), or None. Linear in the path's length."""
        path = path.removeprefix("/")
        segments = self.segments
        found: dict[str, str] = {}
        index = 0
        for start, stop in _pieces(path):
            if index == len(segments):
                return None
            segment = segments[index]
            if segment.kind == "catchall":
                # the rest of the path, '/' and any trailing '/' included
                found[segment.parts[0].name] = path[start:]  # type: ignore[union-attr]
                index = len(segments)
                break
            if start == stop or not segment.capture(path[start:stop], found):
                return None
            index += 1
        for segment in segments[index:]:
            first = segment.parts[0]
            if segment.kind in ("literal", "complex") or not (isinstance(first, Param) and first.may_be_absent):
                return None
        return self._checked(found)

    def _checked(self, found: dict[str, str]) -> dict[str, str] | None:
        """Defaults filled in; None when a value fails its constraints (no backtracking, as in
        ASP.NET Core: constraints are checked once the values are known)."""
        values: dict[str, str] = {}
        for param in self.params:
            value = found.get(param.name)
            if not value:
                if param.default is not None:
                    values[param.name] = param.default
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
    pieces = split_segments(template) if template else []
    segments: list[_Segment] = []
    precedence: list[int] = []
    for index, piece in enumerate(pieces):
        if piece == "":
            raise RouteError("empty segment ('//')")
        parts = segment_parts(piece)
        check_segment(parts, index == len(pieces) - 1)
        segment = _Segment.of(parts)
        segments.append(segment)
        first = parts[0]
        precedence.append(
            {"literal": 1, "complex": 2, "catchall": 5}.get(
                segment.kind, 3 if isinstance(first, Param) and first.constraints else 4
            )
        )
    absent_seen = False
    for segment in segments:
        first = segment.parts[0]
        may_be_absent = isinstance(first, Param) and len(segment.parts) == 1 and first.may_be_absent
        if absent_seen and not may_be_absent:
            raise RouteError("an optional parameter must be followed only by optional ones")
        absent_seen = absent_seen or may_be_absent
    params = [p for s in segments for p in s.parts if isinstance(p, Param)]
    names = [p.name.lower() for p in params]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RouteError(f"parameter {sorted(duplicates)[0]} appears more than once")
    return RouteTemplate(text, segments, params, tuple(precedence))
