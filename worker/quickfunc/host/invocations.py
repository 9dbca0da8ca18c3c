"""Trigger inputs as the host sends them: an HTTP request (shaped by the worker's capabilities),
a timer's TimerInfo, or an admin-invoke ``input`` value."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.request_builders import http_request, incoming_trace_context
from quickfunc.host.timers import timer_payload
from quickfunc.host.wire import HttpBody
from quickfunc.protos import pb

__all__ = ["IncomingHttp", "InputError", "Inputs", "http_inputs", "timer_inputs", "admin_inputs"]

#: triggers whose admin-invoke input is sent as JSON (the rest get a string)
_JSON_TRIGGERS = {"timertrigger", "eventgridtrigger", "cosmosdbtrigger"}


class InputError(ValueError):
    """An admin-invoke input that the function's trigger cannot take."""


@dataclass
class Inputs:
    """Input bindings and trigger metadata of one InvocationRequest."""

    data: dict[str, pb.TypedData] = field(default_factory=dict)
    trigger_metadata: dict[str, pb.TypedData] = field(default_factory=dict)
    #: an HTTP request's body: not in ``data``, joined into the serialised request (wire.py)
    body: HttpBody | None = None
    #: the caller's W3C trace context (HTTP `traceparent`/`tracestate`); empty: a new trace
    trace_parent: str = ""
    trace_state: str = ""
    #: sent as the request's RetryContext when the function has a retry policy (retries.py)
    retry: pb.RetryContext | None = None


@dataclass
class IncomingHttp:
    """The parts of an HTTP request the host passes on."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    route_values: dict[str, str]
    body: bytes | bytearray
    content_type: str = ""


def _trigger_name(spec: FunctionSpec) -> str:
    trigger = spec.trigger
    if trigger is None:
        raise InputError(f"function {spec.name} has no trigger binding")
    return trigger.name


def _text_kind(body: bytes | bytearray, content_type: str) -> str:
    """The TypedData field a worker without RawHttpBodyBytes gets the body in: json or string
    when it is UTF-8 text (json only if it parses), bytes otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes"
    if "json" in content_type.lower():
        try:
            json.loads(text)
            return "json"
        except json.JSONDecodeError:
            pass
    return "string"


def http_inputs(spec: FunctionSpec, incoming: IncomingHttp, capabilities: Mapping[str, str]) -> Inputs:
    """The HTTP trigger input, plus route values, Query and Headers as trigger metadata.

    The body is not copied into the RpcHttp: it rides in ``Inputs.body`` until serialised."""
    name = _trigger_name(spec)
    data = http_request(incoming.method, incoming.url, incoming.headers, incoming.query, incoming.route_values)
    inputs = Inputs({name: data})
    inputs.trace_parent, inputs.trace_state = incoming_trace_context(incoming.headers)
    if incoming.body:
        kind = "bytes" if capabilities.get("RawHttpBodyBytes") else _text_kind(incoming.body, incoming.content_type)
        inputs.body = HttpBody(name, incoming.body, kind, raw_too=not capabilities.get("RpcHttpBodyOnly"))
    for name, value in incoming.route_values.items():
        inputs.trigger_metadata[name] = pb.TypedData(string=value)
    inputs.trigger_metadata["Query"] = pb.TypedData(json=json.dumps(dict(data.http.query)))
    inputs.trigger_metadata["Headers"] = pb.TypedData(json=json.dumps(dict(data.http.headers)))
    return inputs


def timer_inputs(spec: FunctionSpec, payload: str) -> Inputs:
    return Inputs({_trigger_name(spec): pb.TypedData(json=payload)})


def _queue_metadata(text: str) -> dict[str, pb.TypedData]:
    """What a queue trigger gets with a message: a new one, dequeued once, leased ten minutes."""
    from quickfunc.host.queue_messages import trigger_metadata
    from quickfunc.host.storage.interface import QueueMessage

    now = datetime.now(timezone.utc).replace(microsecond=0)
    message = QueueMessage(
        id=str(uuid.uuid4()),
        body=text.encode("utf-8"),
        dequeue_count=1,
        insertion_time=now,
        expiration_time=now + timedelta(days=7),
        next_visible_time=now + timedelta(minutes=10),
        pop_receipt=str(uuid.uuid4()),
    )
    return trigger_metadata(message, message.body)


def admin_inputs(spec: FunctionSpec, value: Any) -> Inputs:
    """``{"input": value}`` of POST /admin/functions/{name} as the trigger's TypedData."""
    name = _trigger_name(spec)
    trigger_type = spec.trigger_type.lower()
    text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
    if trigger_type == "timertrigger":
        if not text.strip():
            now = datetime.now(timezone.utc)
            text = timer_payload(None, now, now, False)
        return Inputs({name: _json_input(spec, text)})
    if trigger_type in _JSON_TRIGGERS:
        return Inputs({name: _json_input(spec, text)})
    inputs = Inputs({name: pb.TypedData(string=text)})
    if trigger_type == "queuetrigger":
        inputs.trigger_metadata.update(_queue_metadata(text))
    return inputs


def _json_input(spec: FunctionSpec, text: str) -> pb.TypedData:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"function {spec.name} has a {spec.trigger_type}, whose input must be "
            f"JSON; the input given is not ({exc.msg})"
        ) from None
    return pb.TypedData(json=text)
