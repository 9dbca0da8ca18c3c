"""The route table of the local host: picks the most specific route for a request path, or tells
404 from 405. Templates and their matching live in route_template.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from quickfunc.host.route_constraints import RouteError
from quickfunc.host.route_template import RouteTemplate, parse_template

__all__ = [
    "MethodNotAllowed",
    "RouteError",
    "RouteMatch",
    "RouteTable",
    "RouteTemplate",
    "parse_template",
]

T = TypeVar("T")

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
