"""Bad input, fuzzed: arbitrary TypedData, RpcHttp and trigger metadata for every binding type.

Property: each invocation gets exactly one answer with its id — a success, or a failure naming
the binding and the problem — and the worker keeps serving. App ``tests/apps/fuzz_bindings``:
one function per binding type and annotation, each reading everything its input offers.

Most examples run in this process through the worker's own dispatcher and handlers (``send``
collects the messages); fewer run through a real worker subprocess over gRPC, to show that the
process survives them too. ``FUZZ_EXAMPLES=1000 python -m pytest tests/integration/test_fuzz_bindings.py``
runs a deeper search in process (default 60 examples per binding).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.fuzzdata import (FUZZ_APP, TRIGGER_METADATA, Target, fuzz_targets,
                                        invocation_problem, rpc_http, typed_data)
from quickfunc.console import SYSTEM_LOGGER
from quickfunc.dispatcher import Dispatcher
from quickfunc.host.function_json import discover_v1_functions
from quickfunc.protos import pb
from quickfunc.settings import Settings
from quickfunc.state import WorkerState

TARGETS = fuzz_targets()
HTTP_TARGETS = [t for t in TARGETS if t.type == "httpTrigger"]
SUCCESS = pb.StatusResult.Success
ANSWER_TIMEOUT = 10.0
FUZZ = settings(deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


class _ErrorLogs(logging.Handler):
    """The worker's own error logs ("internal error while handling ...")."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class InProcessWorker:
    """The worker's dispatcher and handlers on a loop of this process; `send` collects."""

    def __init__(self, app_dir: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.sent: list[pb.StreamingMessage] = []
        self.state = WorkerState(send=self.sent.append, request_id="fuzz", settings=Settings())
        self.dispatcher = Dispatcher(self.state)
        self.errors = _ErrorLogs()
        logging.getLogger(SYSTEM_LOGGER).addHandler(self.errors)
        self.function_ids: dict[str, str] = {}
        self.run(self._start(app_dir))

    def run(self, coro, timeout: float = 30.0):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    async def _start(self, app_dir: str) -> None:
        self.dispatcher.dispatch(pb.StreamingMessage(worker_init_request=pb.WorkerInitRequest(
            function_app_directory=app_dir)))
        for function_id, metadata in discover_v1_functions(app_dir):
            self.dispatcher.dispatch(pb.StreamingMessage(function_load_request=pb.FunctionLoadRequest(
                function_id=function_id, metadata=metadata)))
            self.function_ids[metadata.name] = function_id
        deadline = self.loop.time() + 30
        while self.loop.time() < deadline:  # loads are answered off the loop, one by one
            loaded = [m.function_load_response for m in self.sent
                      if m.HasField("function_load_response")]
            if len(loaded) >= len(self.function_ids):
                break
            await asyncio.sleep(0.01)
        failed = [r.result.exception.message for r in loaded if r.result.status != SUCCESS]
        assert len(loaded) == len(self.function_ids) and not failed, failed
        self.sent.clear()

    def invoke(self, request: pb.InvocationRequest) -> list[pb.InvocationResponse]:
        """Dispatch one invocation; every answer for it (exactly one is right)."""
        leftovers = [m for m in self.sent if m.HasField("invocation_response")]
        assert not leftovers, f"answers nobody waited for: {leftovers}"
        self.sent.clear()
        return self.run(self._invoke(request), ANSWER_TIMEOUT + 5)

    async def _invoke(self, request: pb.InvocationRequest) -> list[pb.InvocationResponse]:
        self.dispatcher.dispatch(pb.StreamingMessage(invocation_request=request))
        deadline = self.loop.time() + ANSWER_TIMEOUT
        while request.invocation_id in self.state.in_flight or not self._answers(request):
            if self.loop.time() > deadline:
                break
            await asyncio.sleep(0.0005)
        await asyncio.sleep(0)  # room for a second answer
        answers = self._answers(request)
        self.sent.clear()
        return answers

    def _answers(self, request: pb.InvocationRequest) -> list[pb.InvocationResponse]:
        return [m.invocation_response for m in list(self.sent) if m.HasField("invocation_response")
                and m.invocation_response.invocation_id == request.invocation_id]

    def close(self) -> None:
        logging.getLogger(SYSTEM_LOGGER).removeHandler(self.errors)
        self.state.executor.shutdown(wait=True, drop_queued=True)  # type: ignore[union-attr]
        self.loop.close()


@pytest.fixture(scope="module")
def in_process():
    worker = InProcessWorker(FUZZ_APP)
    yield worker
    worker.close()


def _request(function_id: str, target: Target, data: pb.TypedData,
             metadata: dict[str, pb.TypedData]) -> pb.InvocationRequest:
    request = pb.InvocationRequest(invocation_id=str(uuid.uuid4()), function_id=function_id)
    request.input_data.add(name=target.binding, data=data)
    for key, value in metadata.items():
        request.trigger_metadata[key].CopyFrom(value)
    return request


def _check(answers: list[pb.InvocationResponse], request: pb.InvocationRequest,
           target: Target) -> None:
    assert len(answers) == 1, f"{len(answers)} answers to {target.function}"
    answer = answers[0]
    assert answer.invocation_id == request.invocation_id
    problem = invocation_problem(answer, target)
    assert problem is None, f"{target.function}: {problem}\n{answer.result.exception.stack_trace}"


# ---- in process: many examples ----------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.function)
@settings(FUZZ, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")))
@given(data=typed_data(), metadata=TRIGGER_METADATA)
def test_any_typed_data_and_trigger_metadata_give_one_clean_answer(in_process, target, data, metadata):
    request = _request(in_process.function_ids[target.function], target, data, metadata)
    _check(in_process.invoke(request), request, target)
    assert not in_process.errors.records, [r.getMessage() for r in in_process.errors.records]
    assert request.invocation_id not in in_process.state.in_flight


@pytest.mark.parametrize("target", HTTP_TARGETS, ids=lambda t: t.function)
@settings(FUZZ, max_examples=150)
@given(http=rpc_http())
def test_any_http_request_gives_one_clean_answer(in_process, target, http):
    request = _request(in_process.function_ids[target.function], target, pb.TypedData(http=http), {})
    _check(in_process.invoke(request), request, target)
    assert not in_process.errors.records, [r.getMessage() for r in in_process.errors.records]


@functools.lru_cache(maxsize=1)
def _huge_and_empty() -> list[tuple[str, pb.TypedData]]:
    many_headers = pb.RpcHttp(method="GET", url="http://h/")
    many_headers.headers.update({f"x-h{i}": "v" * 10 for i in range(10_000)})
    big_header = pb.RpcHttp(method="GET", url="http://h/", headers={"x-big": "h" * (1 << 20)})
    big_query = pb.RpcHttp(method="GET", url="http://h/?" + "q=" + "a" * (1 << 20),
                           query={"q": "a" * (1 << 20)})
    big_body = pb.RpcHttp(method="POST", url="http://h/", headers={"content-type": "application/json"})
    big_body.body.bytes = b"\xff" * (16 << 20)
    empty = pb.RpcHttp()
    empty_body = pb.RpcHttp(method="POST", url="http://h/")
    empty_body.body.SetInParent()
    return [("10,000 headers", pb.TypedData(http=many_headers)),
            ("a 1 MiB header", pb.TypedData(http=big_header)),
            ("a 1 MiB query value", pb.TypedData(http=big_query)),
            ("a 16 MiB invalid UTF-8 body", pb.TypedData(http=big_body)),
            ("an empty RpcHttp", pb.TypedData(http=empty)),
            ("an empty body", pb.TypedData(http=empty_body)),
            ("no value at all", pb.TypedData()),
            ("16 MiB of bytes", pb.TypedData(bytes=b"\x00" * (16 << 20))),
            ("a 4 MiB string", pb.TypedData(string="s" * (4 << 20))),
            ("100,000 collection items", pb.TypedData(
                collection_string=pb.CollectionString(string=["x"] * 100_000)))]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.function)
def test_huge_and_empty_values_give_one_clean_answer(in_process, target):
    function_id = in_process.function_ids[target.function]
    for what, data in _huge_and_empty():
        request = _request(function_id, target, data, {})
        answers = in_process.invoke(request)
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
    request = _request(live.function_id("FzQueueStr"), Target("FzQueueStr", "msg", "queueTrigger"),
                       pb.TypedData(string="fine"), {})
    answer = live.invoke_request(request)
    assert answer.result.status == SUCCESS, answer.result.exception.message
    live.run(live.channel.status(timeout=5))
    assert [m for m in live.channel.unexpected if m.HasField("invocation_response")] == []
    assert live.host.process.returncode is None
