"""Admin invoke (POST /admin/functions/{name}) of non-HTTP triggers: ``{"input": ..., "metadata":
{...}}`` turned into the trigger data and metadata the real extension would send."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.invocations import InputError, Inputs
from quickfunc.protos import pb

from . import documents, eventhubs, kafka, servicebus
from .shape import Shape
from .wire_values import Wire

__all__ = ["AdminRequest", "read_request", "extension_inputs", "example_body"]

Builder = Callable[[Shape], "tuple[pb.TypedData, dict[str, pb.TypedData]]"]

#: trigger type (lower case) -> builder
_BUILDERS: dict[str, Builder] = {
    "servicebustrigger": servicebus.build,
    "eventhubtrigger": eventhubs.build,
    "kafkatrigger": kafka.build,
    "eventgridtrigger": documents.event_grid,
    "cosmosdbtrigger": documents.cosmos_db,
    "sqltrigger": documents.sql_changes,
    "mysqltrigger": documents.sql_changes,
}

#: triggers that run without an input (the host makes one up)
_NO_INPUT_NEEDED = {"timertrigger", "warmuptrigger"}

_EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "servicebustrigger": (servicebus.EXAMPLE_ONE, servicebus.EXAMPLE_MANY),
    "eventhubtrigger": (eventhubs.EXAMPLE_ONE, eventhubs.EXAMPLE_MANY),
    "kafkatrigger": (kafka.EXAMPLE_ONE, kafka.EXAMPLE_MANY),
    "queuetrigger": ({"input": "message text"},) * 2,
    "blobtrigger": ({"input": "container/blob-name.txt"},) * 2,
    **{name: (body, body) for name, body in documents.EXAMPLES.items()},
}


class AdminRequest:
    """The parts of an admin invoke body: ``input`` (None when absent) and ``metadata``."""

    def __init__(self, value: Any, has_input: bool, overrides: dict[str, Any]) -> None:
        self.value = value
        self.has_input = has_input
        self.overrides = overrides


def _many(spec: FunctionSpec) -> bool:
    trigger = spec.trigger
    return trigger is not None and str(trigger.get("cardinality") or "").lower() == "many"


def example_body(spec: FunctionSpec) -> str:
    """A body that would run ``spec`` (its trigger type and cardinality), as JSON text."""
    pair = _EXAMPLES.get(spec.trigger_type.lower())
    if pair is None:
        return json.dumps({"input": "..."})
    return json.dumps(pair[1] if _many(spec) else pair[0])


def read_request(spec: FunctionSpec, payload: Mapping[str, Any]) -> AdminRequest:
    """``input`` and ``metadata`` (names matched case-insensitively); InputError for a body
    without an input the trigger needs, or a ``metadata`` that is not an object."""
    found = {k.lower(): v for k, v in payload.items()}
    value = found.get("input")
    has_input = value is not None
    trigger_type = spec.trigger_type.lower()
    if not has_input and trigger_type not in _NO_INPUT_NEEDED:
        raise InputError(
            f'function {spec.name} has a {spec.trigger_type}: the body needs an "input"; '
            f"send for example {example_body(spec)}"
        )
    overrides = found.get("metadata")
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise InputError(
            f'function {spec.name}: "metadata" must be a JSON object of trigger metadata; '
            f"send for example {example_body(spec)}"
        )
    return AdminRequest(value, has_input, overrides)


def extension_inputs(
    spec: FunctionSpec, request: AdminRequest, capabilities: Mapping[str, str], settings: Mapping[str, str]
) -> Inputs | None:
    """The invocation inputs for a trigger of an extension family; None for the others (HTTP,
    timer, storage), which the host builds elsewhere."""
    builder = _BUILDERS.get(spec.trigger_type.lower())
    trigger = spec.trigger
    if builder is None or trigger is None:
        return None
    shape = Shape(
        spec=spec,
        trigger=trigger,
        value=request.value,
        overrides=request.overrides,
        wire=Wire.of(capabilities) if capabilities else Wire(),
        settings=settings,
        example=example_body(spec),
    )
    data, metadata = builder(shape)
    return Inputs({trigger.name: data}, metadata)
