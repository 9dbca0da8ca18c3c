"""Bindings the local host cannot serve (Cosmos DB, Service Bus, Event Hubs, SQL, ...): what the
start banner says about each, so an input that arrives as None is never a surprise."""

from __future__ import annotations

from quickfunc.host.catalog import FunctionSpec

__all__ = ["SERVED_TYPES", "unserved_notes"]

#: binding types the local host runs (triggers, inputs and outputs)
SERVED_TYPES = frozenset(
    {
        "httptrigger",
        "http",
        "timertrigger",
        "queuetrigger",
        "queue",
        "blobtrigger",
        "blob",
        "durableclient",
        "orchestrationclient",
    }
)


def unserved_notes(spec: FunctionSpec) -> list[str]:
    """One banner line per input or output binding of ``spec`` that the local host cannot serve."""
    notes = []
    for binding in spec.bindings:
        if binding.is_trigger or binding.type.lower() in SERVED_TYPES:
            continue
        if binding.direction == "in":
            notes.append(
                f"input '{binding.name}' ({binding.type}) will be None: the local host cannot serve {binding.type}"
            )
        else:
            notes.append(
                f"output '{binding.name}' ({binding.type}) is printed, not written: "
                f"the local host cannot serve {binding.type}"
            )
    return notes
