"""Durable Functions on the local host: orchestrators, activities, entities and durable clients run
on the embedded engine (engine.py); the API's path; and the not-served answer kept for kinds it
does not run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

__all__ = ["API_PREFIX", "NOT_SERVED_STATUS", "durable_need", "not_served", "answer"]

#: where the local host serves the Durable Functions HTTP API (as the extension does)
API_PREFIX = "/runtime/webhooks/durabletask/"

#: the answer to an invocation of such a function: the host lacks what it needs (not a failure of it)
NOT_SERVED_STATUS = 501


class _Binding(Protocol):
    """What is read of a binding (catalog.Binding)."""

    name: str
    type: str


#: durable function kinds the engine does not run (none today: orchestrators, activities, entities
#: and durable clients all run), named so that a binding added later fails clearly, not with a TypeError
_TRIGGERS: dict[str, str] = {}
_CLIENTS: frozenset[str] = frozenset()


def durable_need(bindings: Iterable[_Binding]) -> str:
    """What in ``bindings`` needs what the local engine does not run (entities), in words ('' if nothing)."""
    clients = []
    for binding in bindings:
        kind = binding.type.lower()
        if kind in _TRIGGERS:
            return f"{_TRIGGERS[kind]} function ({binding.type})"
        if kind in _CLIENTS:
            clients.append(f"'{binding.name}' ({binding.type})")
    if clients:
        return f"its client binding {', '.join(clients)}"
    return ""


def not_served(need: str) -> str:
    """Why a function that needs the extension for ``need`` is not served (for the banner)."""
    return f"{need} needs Durable entities, which the quickfunc local host does not run yet"


def answer(name: str, reason: str) -> str:
    """What an invocation of function ``name``, not served for ``reason``, is answered with."""
    return (
        f"Function {name} is not served: {reason}. "
        "Run the app with `func start` (Azure Functions Core Tools) to use Durable entities."
    )
