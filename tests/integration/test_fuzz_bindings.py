"""Bad input, fuzzed: arbitrary TypedData, RpcHttp and trigger metadata for every binding type.

Property: each invocation gets exactly one answer with its id — a success, or a failure naming
the binding and the problem — and the worker keeps serving. App ``tests/apps/fuzz_bindings``:
one function per binding type and annotation, each reading everything its input offers.

Most examples run in this process through the worker's own dispatcher and handlers (the
``module_worker_harness`` fixture, tests/harness.py); fewer run through a real worker
subprocess over gRPC, to show that the process survives them too.
``FUZZ_EXAMPLES=1000 python -m pytest tests/integration/test_fuzz_bindings.py``
runs a deeper search in process (default 60 examples per binding).
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quickfunc.protos import pb
from tests.helpers import SUCCESS
from tests.integration.fuzzdata import (
    FUZZ_APP,
    TRIGGER_METADATA,
    Target,
    fuzz_targets,
    invocation_problem,
    rpc_http,
    typed_data,
)

TARGETS = fuzz_targets()
HTTP_TARGETS = [t for t in TARGETS if t.type == "httpTrigger"]
ANSWER_TIMEOUT = 10.0
FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def in_process(module_worker_harness):
    worker = module_worker_harness(FUZZ_APP)
    failed = {
        name: r.result.exception.message for name, (_, r) in worker.load_v1_app().items() if r.result.status != SUCCESS
    }
    assert worker.loads and not failed, failed
    return worker


def _invoke(worker, request: pb.InvocationRequest) -> list[pb.InvocationResponse]:
    """Invoke in process; every answer for the invocation (exactly one is right)."""
    worker.forget()
    worker.invoke_request(request, ANSWER_TIMEOUT)
    worker.run(asyncio.sleep(0))  # room for a second answer
    assert not worker.channel.unexpected, f"answers nobody waited for: {worker.channel.unexpected}"
    return worker.answers_for(request.invocation_id)


def _request(
    function_id: str, target: Target, data: pb.TypedData, metadata: dict[str, pb.TypedData]
) -> pb.InvocationRequest:
    request = pb.InvocationRequest(invocation_id=str(uuid.uuid4()), function_id=function_id)
    request.input_data.add(name=target.binding, data=data)
    for key, value in metadata.items():
        request.trigger_metadata[key].CopyFrom(value)
    return request


def _check(answers: list[pb.InvocationResponse], request: pb.InvocationRequest, target: Target) -> None:
    assert len(answers) == 1, f"{len(answers)} answers to {target.function}"
    answer = answers[0]
    assert answer.invocation_id == request.invocation_id
    problem = invocation_problem(answer, target)
    assert problem is None, f"{target.function}: {problem}\n{answer.result.exception.stack_trace}"


# ---- in process: many examples ----------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.function)
@settings(FUZZ, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")))
@given(data=typed_data(), metadata=TRIGGER_METADATA)
# found in CI: an empty batch of Service Bus messages whose messages the function then reads
@example(data=pb.TypedData(), metadata={"UserProperties": pb.TypedData(string="")})
def test_any_typed_data_and_trigger_metadata_give_one_clean_answer(in_process, target, data, metadata):
    request = _request(in_process.function_id(target.function), target, data, metadata)
    _check(_invoke(in_process, request), request, target)
    assert not in_process.system_errors()
    assert request.invocation_id not in in_process.state.in_flight


@pytest.mark.parametrize("target", HTTP_TARGETS, ids=lambda t: t.function)
@settings(FUZZ, max_examples=150)
@given(http=rpc_http())
def test_any_http_request_gives_one_clean_answer(in_process, target, http):
    request = _request(in_process.function_id(target.function), target, pb.TypedData(http=http), {})
    _check(_invoke(in_process, request), request, target)
    assert not in_process.system_errors()


@functools.lru_cache(maxsize=1)
def _huge_and_empty() -> list[tuple[str, pb.TypedData]]:
    many_headers = pb.RpcHttp(method="GET", url="http://h/")
    many_headers.headers.update({f"x-h{i}": "v" * 10 for i in range(10_000)})
    big_header = pb.RpcHttp(method="GET", url="http://h/", headers={"x-big": "h" * (1 << 20)})
    big_query = pb.RpcHttp(method="GET", url="http://h/?" + "q=" + "a" * (1 << 20), query={"q": "a" * (1 << 20)})
    big_body = pb.RpcHttp(method="POST", url="http://h/", headers={"content-type": "application/json"})
    big_body.body.bytes = b"\xff" * (16 << 20)
    empty = pb.RpcHttp()
    empty_body = pb.RpcHttp(method="POST", url="http://h/")
    empty_body.body.SetInParent()
    return [
        ("10,000 headers", pb.TypedData(http=many_headers)),
        ("a 1 MiB header", pb.TypedData(http=big_header)),
        ("a 1 MiB query value", pb.TypedData(http=big_query)),
        ("a 16 MiB invalid UTF-8 body", pb.TypedData(http=big_body)),
        ("an empty RpcHttp", pb.TypedData(http=empty)),
        ("an empty body", pb.TypedData(http=empty_body)),
        ("no value at all", pb.TypedData()),
        ("16 MiB of bytes", pb.TypedData(bytes=b"\x00" * (16 << 20))),
        ("a 4 MiB string", pb.TypedData(string="s" * (4 << 20))),
        ("100,000 collection items", pb.TypedData(collection_string=pb.CollectionString(string=["x"] * 100_000))),
    ]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.function)
def test_huge_and_empty_values_give_one_clean_answer(in_process, target):
    function_id = in_process.function_id(target.function)
    for what, data in _huge_and_empty():
        request = _request(function_id, target, data, {})
        answers = _invoke(in_process, request)
        assert len(answers) == 1, f"{what}: {len(answers)} answers"
        problem = invocation_problem(answers[0], target)
        assert problem is None, f"{what}: {problem}"


# ---- the real worker process: fewer examples ---------------------------------------------------------


@pytest.fixture(scope="module")
def live(live_worker_factory):
    return live_worker_factory(FUZZ_APP)


@settings(FUZZ, max_examples=300)
@given(target=st.sampled_from(TARGETS), data=typed_data(), metadata=TRIGGER_METADATA)
def test_the_worker_process_survives_fuzzed_invocations(live, target, data, metadata):
    request = _request(live.function_id(target.function), target, data, metadata)
    answer = live.invoke_request(request, timeout=ANSWER_TIMEOUT)
    assert answer.invocation_id == request.invocation_id
    problem = invocation_problem(answer, target)
    assert problem is None, f"{target.function}: {problem}"
    assert live.host.process.returncode is None


@pytest.mark.parametrize("function", ["FzHttp", "FzGenericBytes", "FzEventHubMany"])
def test_the_worker_process_answers_huge_and_empty_values(live, function):
    target = next(t for t in TARGETS if t.function == function)
    for what, data in _huge_and_empty():
        request = _request(live.function_id(function), target, data, {})
        answer = live.invoke_request(request, timeout=ANSWER_TIMEOUT)
        assert answer.invocation_id == request.invocation_id
        problem = invocation_problem(answer, target)
        assert problem is None, f"{what}: {problem}"
    assert live.host.process.returncode is None


def test_after_fuzzing_the_process_is_alive_and_nothing_was_answered_twice(live):
    request = _request(
        live.function_id("FzQueueStr"), Target("FzQueueStr", "msg", "queueTrigger"), pb.TypedData(string="fine"), {}
    )
    answer = live.invoke_request(request)
    assert answer.result.status == SUCCESS, answer.result.exception.message
    live.run(live.channel.status(timeout=5))
    assert [m for m in live.channel.unexpected if m.HasField("invocation_response")] == []
    assert live.host.process.returncode is None
