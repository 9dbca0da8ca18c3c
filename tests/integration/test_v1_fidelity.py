"""Outcomes that must match the official worker's, through a worker process (issue 14, points 1-3).

App ``tests/apps/v1_fidelity``: a function in a folder named like ``http-trigger-dump-request``,
functions giving an HTTP output every kind of value (as ``$return`` and through ``func.Out``), and
str-annotated bindings that have no implicit output. What the official worker does with an HTTP
output value is decided by the library's ``HttpResponseConverter.encode`` (it fails the invocation
when that raises) and by its invocation path, which skips an ``Out`` left at None (protocol §8.1).
"""

from __future__ import annotations

import runpy
from typing import Any

import pytest
from azure.functions.http import HttpResponseConverter

from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, failure_text, http, string

APP = app_path("v1_fidelity")
VALUES: dict[str, Any] = runpy.run_path(f"{APP}/SharedCode/values.py")["VALUES"]
#: the kinds an HTTP output accepts (the official worker fails the invocation for every other one)
ACCEPTED = {"str", "str_subclass", "response", "response_subclass"}


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP)


def _official(value: Any, *, via_out: bool) -> pb.TypedData | None:
    """What the official worker sends for `value`: its TypedData, an empty one for "no output",
    or None when it fails the invocation."""
    if via_out and value is None:
        return pb.TypedData()  # an Out left at None is skipped
    try:
        datum = HttpResponseConverter.encode(value, expected_type=None)
    except NotImplementedError:
        return None
    if datum.type == "string":
        return pb.TypedData(string=datum.value)
    fields = datum.value
    data = pb.TypedData()
    data.http.status_code = fields["status_code"].value
    for name, header in fields["headers"].items():
        data.http.headers[name] = header.value
    data.http.body.bytes = fields["body"].value
    return data


def _call(worker, function: str, kind: str) -> pb.InvocationResponse:
    return worker.invoke(function, {"req": http("GET", f"http://localhost/api/{function}?kind={kind}")})


def test_the_oracle_accepts_only_str_and_http_responses():
    accepted = {kind for kind, make in VALUES.items() if _official(make(), via_out=False) is not None}
    assert accepted == ACCEPTED


# ---- point 1: any folder name the host accepts ------------------------------------------------


def test_hyphenated_folder_loads_with_shared_and_relative_imports(worker):
    _, loaded = worker.loads["http-trigger-dump-request"]
    assert loaded.result.status == SUCCESS, loaded.result.exception.message
    resp = worker.invoke("http-trigger-dump-request", {"req": http("GET", "http://localhost/api/dump?x=1")})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == (
        f"dump: GET http://localhost/api/dump?x=1 (__app__.http-trigger-dump-request, {len(VALUES)} kinds)"
    )


def test_every_function_of_the_app_loads(worker):
    failed = {n: r.result.exception.message for n, (_, r) in worker.loads.items() if r.result.status != SUCCESS}
    assert failed == {}
    assert set(worker.loads) == {
        "http-trigger-dump-request",
        "ReturnValue",
        "OutValue",
        "DurableClientStr",
        "QueueStr",
    }


# ---- point 2: every value an HTTP output can receive -------------------------------------------


def _check_outcome(resp: pb.InvocationResponse, expected: pb.TypedData | None, kind: str, sent: pb.TypedData) -> None:
    if expected is None:
        assert resp.result.status == FAILURE, f"{kind}: the official worker fails this invocation"
        return
    assert resp.result.status == SUCCESS, f"{kind}: {failure_text(resp)}"
    assert sent == expected, kind


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_return_value_outcome_is_the_official_workers(worker, kind):
    resp = _call(worker, "ReturnValue", kind)
    expected = _official(VALUES[kind](), via_out=False)
    _check_outcome(resp, expected, kind, resp.return_value)
    assert list(resp.output_data) == []
    if expected is None:
        message = resp.result.exception.message
        assert "'$return' (http)" in message and "return func.HttpResponse(" in message, message
        assert "accepts only func.HttpResponse or str" in message, message


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_out_value_outcome_is_the_official_workers(worker, kind):
    resp = _call(worker, "OutValue", kind)
    expected = _official(VALUES[kind](), via_out=True)
    sent = {p.name: p.data for p in resp.output_data}.get("res", pb.TypedData())
    _check_outcome(resp, expected, kind, sent)
    assert not resp.HasField("return_value")
    if expected is None:
        message = resp.result.exception.message
        assert "'res' (http)" in message and "call res.set(func.HttpResponse(" in message, message


def test_refusals_say_what_to_return_for_the_value_given(worker):
    def message(kind: str) -> str:
        resp = _call(worker, "ReturnValue", kind)
        assert resp.result.status == FAILURE
        return resp.result.exception.message

    assert 'func.HttpResponse(json.dumps(body), mimetype="application/json")' in message("dict")
    assert "not None" in message("none") and "func.HttpResponse(status_code=204)" in message("none")
    assert "not a value of type bytes" in message("bytes")
    assert "SharedCode.values.Custom" in message("custom")


def test_string_and_response_bodies_arrive_unchanged(worker):
    text = _call(worker, "ReturnValue", "str")
    assert text.return_value == pb.TypedData(string="plain text")
    made = _call(worker, "OutValue", "response").output_data[0].data.http
    assert (made.status_code, made.headers["X-Made"], made.body.bytes) == ("201", "yes", b"made")


# ---- point 3: a str annotation gives no implicit output ----------------------------------------


def test_durable_client_annotated_str_has_no_implicit_output(worker):
    resp = worker.invoke(
        "DurableClientStr",
        {"req": http("GET", "http://localhost/api/DurableClientStr"), "starter": string('{"taskHubName": "hub"}')},
    )
    assert resp.result.status == FAILURE
    assert not resp.HasField("return_value")
    assert "no '$return' output binding" in resp.result.exception.message


def test_queue_trigger_annotated_str_has_no_implicit_output(worker):
    resp = worker.invoke("QueueStr", {"msg": string("m1")})
    assert resp.result.status == FAILURE
    assert "no '$return' output binding" in resp.result.exception.message
