"""Functions that need the Durable Functions extension, which the local host does not run yet:
named as not served at start-up, and each invocation answered with why."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

__all__ = ["NOT_SERVED_STATUS", "durable_need", "not_served", "answer"]

#: the answer to an invocation of such a function: the host lacks what it needs (not a failure of it)
NOT_SERVED_STATUS = 501


class _Binding(Protocol):
    """What is read of a binding (catalog.Binding)."""

    name: str
    type: str


_TRIGGERS = {
    "orchestrationtrigger": "an orchestrator",
    "activitytrigger": "an activity",
    "entitytrigger": "an entity",
}
_CLIENTS = frozenset({"durableclient", "orchestrationclient", "entityclient"})


def durable_need(bindings: Iterable[_Binding]) -> str:
    """What in ``bindings`` needs the Durable Functions extension, in words ('' if nothing)."""
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
    return f"{need} needs the Durable Functions extension, which the quickfunc local host does not run yet"


def answer(name: str, reason: str) -> str:
    """What an invocation of function ``name``, not served for ``reason``, is answered with."""
    return (
        f"Function {name} is not served: {reason}. "
        "Run the app with `func start` (Azure Functions Core Tools) to use Durable Functions."
    )
