"""OpenTelemetry end to end: a worker process (fake host over gRPC) and the local host (real HTTP)
run tests/apps/v2_otel, whose SDK tracer provider writes every finished span as a JSON line; the
spans must hang under the traceparent the host sent, the user's under the invocation's."""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any

from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, index_and_load, run
from tests.integration.fakehost import start_worker
from tests.integration.hostproc import LocalHostProcess

APP = app_path("v2_otel")
CAPABILITY = "WorkerOpenTelemetryEnabled"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"


def _spans(path: pathlib.Path, names: set[str], timeout: float = 10.0) -> dict[str, dict[str, Any]]:
    """The spans written to `path` so far, by name, once all of `names` are there (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        found = {span["name"]: span for span in map(json.loads, lines)}
        if names <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _parent_of(span: dict[str, Any]) -> str | None:
    parent = span["parent_id"]
    return None if parent is None else parent.removeprefix("0x")


def _ids(span: dict[str, Any]) -> tuple[str, str]:
    context = span["context"]
    return context["trace_id"].removeprefix("0x"), context["span_id"].removeprefix("0x")


def _check_tree(
    found: dict[str, dict[str, Any]], invocation: str, users: list[str], trace_id: str, parent: str
) -> None:
    span = found[invocation]
    assert _ids(span)[0] == trace_id
    assert _parent_of(span) == parent
    assert span["kind"] == "SpanKind.INTERNAL"
    for user in users:
        assert _ids(found[user])[0] == trace_id, user
        assert _parent_of(found[user]) == _ids(span)[1], user


def _get(name: str) -> dict[str, pb.TypedData]:
    return {"req": http_request("GET", f"http://localhost/api/{name}")}


def test_a_worker_process_puts_each_invocation_span_under_the_host_traceparent(tmp_path):
    spans_file = tmp_path / "spans.jsonl"
    env = {"PYTHON_ENABLE_OPENTELEMETRY": "true", "OTEL_TEST_SPANS_FILE": str(spans_file)}

    async def go() -> dict[str, pb.InvocationResponse]:
        async with start_worker(APP, env=env) as host:
            assert host.init_response is not None
            assert host.init_response.capabilities[CAPABILITY] == "true"
            ids = await index_and_load(host)
            answers = {}
            for name in ("sync_spans", "async_spans", "sync_fails"):
                request = build_invocation(ids[name], _get(name), trace_parent=TRACEPARENT)
                answers[name] = await host.channel.invoke(request, timeout=20)
            return answers

    answers = run(go())
    assert answers["sync_spans"].result.status == SUCCESS and answers["async_spans"].result.status == SUCCESS
    assert answers["sync_fails"].result.status == FAILURE
    found = _spans(spans_file, {"sync_spans", "async_spans", "sync_fails", "user-thread"})
    _check_tree(found, "sync_spans", ["user-sync", "user-thread"], TRACE_ID, CALLER_SPAN_ID)
    _check_tree(found, "async_spans", ["user-async"], TRACE_ID, CALLER_SPAN_ID)
    _check_tree(found, "sync_fails", ["user-before-failure"], TRACE_ID, CALLER_SPAN_ID)
    failed = found["sync_fails"]
    assert failed["status"]["status_code"] == "ERROR"
    assert failed["status"]["description"] == "ValueError: sync went wrong"
    assert [e["name"] for e in failed["events"]] == ["exception"]
    assert found["sync_spans"]["attributes"]["faas.invocation_id"] == answers["sync_spans"].invocation_id


def test_without_the_setting_a_worker_process_makes_no_span_and_claims_nothing(tmp_path):
    spans_file = tmp_path / "spans.jsonl"

    async def go() -> pb.WorkerInitResponse:
        async with start_worker(APP, env={"OTEL_TEST_SPANS_FILE": str(spans_file)}) as host:
            assert host.init_response is not None
            ids = await index_and_load(host)
            request = build_invocation(ids["sync_spans"], _get("sync_spans"), trace_parent=TRACEPARENT)
            assert (await host.channel.invoke(request, timeout=20)).result.status == SUCCESS
            return host.init_response

    assert CAPABILITY not in run(go()).capabilities
    found = _spans(spans_file, {"user-sync", "user-thread"})
    assert set(found) == {"user-sync", "user-thread"}  # the app's own spans only, each a root
    assert _parent_of(found["user-sync"]) is None


def test_the_local_host_passes_the_callers_traceparent_to_the_worker(tmp_path):
    spans_file = tmp_path / "spans.jsonl"
    env = {"PYTHON_ENABLE_OPENTELEMETRY": "true", "OTEL_TEST_SPANS_FILE": str(spans_file)}
    with LocalHostProcess(APP, env=env).start() as host:
        reply = host.get("/api/sync_spans", headers={"traceparent": TRACEPARENT, "tracestate": "caller=1"})
        assert reply.status == 200 and reply.text == "sync ok"
        found = _spans(spans_file, {"sync_spans", "user-sync", "user-thread"})
        _check_tree(found, "sync_spans", ["user-sync", "user-thread"], TRACE_ID, CALLER_SPAN_ID)
        trace_state = found["sync_spans"]["context"]["trace_state"]  # its text form varies by SDK version
        assert "caller" in trace_state and "1" in trace_state
        # no traceparent: each request is a new trace, still under a parent the host names
        spans_file.unlink()
        assert host.get("/api/async_spans").status == 200
        assert host.get("/api/sync_fails").status == 500
        found = _spans(spans_file, {"async_spans", "sync_fails"})
        first, second = found["async_spans"], found["sync_fails"]
        assert _ids(first)[0] != _ids(second)[0] and TRACE_ID not in (_ids(first)[0], _ids(second)[0])
        assert _parent_of(first) and _parent_of(second)
        assert second["status"]["status_code"] == "ERROR"
        _check_tree(found, "sync_fails", ["user-before-failure"], _ids(second)[0], str(_parent_of(second)))
