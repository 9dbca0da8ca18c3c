"""Trigger inputs as the host builds them: HTTP by worker capabilities, admin-invoke inputs."""

from __future__ import annotations

import json

import pytest

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.invocations import IncomingHttp, InputError, Inputs, admin_inputs, http_inputs
from quickfunc.host.request_builders import build_invocation
from quickfunc.host.wire import prepare_invocation
from quickfunc.protos import pb


def _spec(trigger_type: str, name: str = "trig") -> FunctionSpec:
    return FunctionSpec("f", "id", pb.RpcFunctionMetadata(), [Binding(name, trigger_type, "in")])


def _incoming(body: bytes = b'{"a": 1}', content_type: str = "application/json") -> IncomingHttp:
    return IncomingHttp(
        "post",
        "http://127.0.0.1:7071/api/f/3?x=1&y=",
        [("Content-Type", content_type), ("X-A", "1"), ("x-a", "2")],
        [("x", "1"), ("y", "")],
        {"id": "3"},
        body,
        content_type,
    )


FULL = {"RawHttpBodyBytes": "true", "RpcHttpBodyOnly": "true"}


def _sent(inputs: Inputs, name: str = "trig") -> pb.TypedData:
    """The input binding as the worker receives it (the body is joined in when serialised)."""
    wire = prepare_invocation(build_invocation("id", inputs.data, inputs.trigger_metadata), inputs.body).wire
    request = pb.StreamingMessage.FromString(wire).invocation_request
    return next(b.data for b in request.input_data if b.name == name)


def test_http_input_for_a_worker_with_raw_body_bytes():
    inputs = http_inputs(_spec("httpTrigger", "req"), _incoming(), FULL)
    http = _sent(inputs, "req").http
    assert http.method == "POST"
    assert http.url == "http://127.0.0.1:7071/api/f/3?x=1&y="
    assert http.headers["x-a"] == "1,2"
    assert dict(http.query) == {"x": "1"}
    assert dict(http.params) == {"id": "3"}
    assert http.body.bytes == b'{"a": 1}'
    assert not http.HasField("rawBody")
    assert inputs.trigger_metadata["id"].string == "3"
    assert json.loads(inputs.trigger_metadata["Query"].json) == {"x": "1"}


def test_http_body_for_an_older_worker_is_json_or_text_and_raw_body_is_kept():
    json_body = _sent(http_inputs(_spec("httpTrigger"), _incoming(), {})).http
    assert json_body.body.json == '{"a": 1}' and json_body.rawBody.json == '{"a": 1}'
    not_json = _sent(http_inputs(_spec("httpTrigger"), _incoming(b"{oops"), {})).http
    assert not_json.body.string == "{oops" and not_json.rawBody.string == "{oops"
    text = _sent(http_inputs(_spec("httpTrigger"), _incoming(b"hi", "text/plain"), {}))
    assert text.http.body.string == "hi"
    binary = _sent(http_inputs(_spec("httpTrigger"), _incoming(b"\xff", "x/y"), {}))
    assert binary.http.body.bytes == b"\xff"


def test_no_body_means_no_body_field():
    http = _sent(http_inputs(_spec("httpTrigger"), _incoming(b""), FULL)).http
    assert not http.HasField("body") and not http.HasField("rawBody")


def test_admin_input_for_a_queue_trigger_is_a_string_with_queue_metadata():
    inputs = admin_inputs(_spec("queueTrigger"), "hello")
    assert inputs.data["trig"].string == "hello"
    # as a queue listener sends it: DequeueCount a number, the body as QueueTrigger
    assert inputs.trigger_metadata["DequeueCount"].json == "1"
    assert inputs.trigger_metadata["QueueTrigger"].string == "hello"
    assert inputs.trigger_metadata["Id"].string


def test_admin_input_that_is_not_a_string_is_sent_as_json_text():
    assert admin_inputs(_spec("blobTrigger"), {"a": 1}).data["trig"].string == '{"a": 1}'


def test_admin_input_for_a_timer_is_timer_info_json():
    data = json.loads(admin_inputs(_spec("timerTrigger"), "").data["trig"].json)
    assert data["IsPastDue"] is False and "ScheduleStatus" in data
    given = admin_inputs(_spec("timerTrigger"), '{"IsPastDue": true}').data["trig"].json
    assert json.loads(given) == {"IsPastDue": True}


def test_admin_input_for_a_json_trigger_must_be_json():
    assert admin_inputs(_spec("eventGridTrigger"), {"id": "1"}).data["trig"].json == '{"id": "1"}'
    with pytest.raises(InputError, match="must be JSON"):
        admin_inputs(_spec("eventGridTrigger"), "not json")


def test_an_http_callers_trace_context_is_kept_for_the_invocation_request():
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    incoming = _incoming()
    incoming.headers += [("traceparent", caller), ("tracestate", "k=v")]
    inputs = http_inputs(_spec("httpTrigger", "req"), incoming, FULL)
    assert (inputs.trace_parent, inputs.trace_state) == (caller, "k=v")
    assert http_inputs(_spec("httpTrigger", "req"), _incoming(), FULL).trace_parent == ""
