"""The reply path through a real worker: every request that has a response gets one.

An exception that is hard to describe (a lone surrogate in its text, a cause chain that loops,
a __str__ that raises, a huge text), a handler that raises, and a reply too large for the
host's message size limit or for protobuf each still get a Failure of the right kind, and the
worker keeps serving. App ``tests/apps/reply_path`` (one sync and one async function that raise
or answer as the request asks).
"""

from __future__ import annotations

import os
import shutil
import textwrap

import pytest

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.process import WorkerCommand
from quickfunc.protos import pb
from tests.helpers import FAILURE, REPO_ROOT, SUCCESS, app_path, failure_text, http, run
from tests.integration.conftest import LimitedCommand
from tests.integration.fakehost import start_worker

APP = app_path("reply_path")
FUNCTIONS = ("Sync", "Async")
#: a small host limit on the worker's command line
LIMIT = 8 * 1024
#: runs the worker with protobuf's 2 GiB message limit lowered to 1 MiB (see the script)
SMALL_PROTOBUF_WORKER = os.path.join(REPO_ROOT, "tests", "integration", "small_protobuf_limit_worker.py")


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP)


@pytest.fixture(scope="module")
def limited(live_worker_factory):
    return live_worker_factory(APP, command=LimitedCommand(LIMIT))


def _case(worker, function: str, case: str, body: bytes | None = None, **params: object):
    query = "&".join([f"case={case}"] + [f"{k}={v}" for k, v in params.items()])
    method = "POST" if body is not None else "GET"
    return worker.invoke(function, {"req": http(method, f"http://x/api/f?{query}", body=body)}, timeout=8)


def _still_serves(worker, function: str = "Sync") -> None:
    again = _case(worker, function, "ok")
    assert again.result.status == SUCCESS, failure_text(again)
    assert worker.host.process.returncode is None


# ---- exceptions that are hard to describe --------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_exception_text_with_a_lone_surrogate_from_the_request_fails_the_invocation_escaped(worker, function):
    # the JSON escape \ud800 decodes to a lone surrogate, which protobuf strings refuse
    response = _case(worker, function, "surrogate", body=b'{"name": "\\ud800"}')
    assert response.result.status == FAILURE
    exception = response.result.exception
    assert exception.message == "ValueError: unknown user \\ud800"
    assert "reply_cases.py" in exception.stack_trace
    assert exception.is_user_exception
    _still_serves(worker, function)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_exception_whose_cause_chain_loops_fails_the_invocation_showing_each_cause_once(worker, function):
    response = _case(worker, function, "cycle")
    assert response.result.status == FAILURE
    exception = response.result.exception
    assert exception.message == "ValueError: first of a loop"
    assert exception.stack_trace.count("KeyError: 'second of a loop'") == 1
    assert "reply_cases.py" in exception.stack_trace
    _still_serves(worker, function)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("case, name", [("str", "StrRaises"), ("strbase", "StrRaisesBase")])
def test_exception_whose_str_raises_fails_the_invocation_naming_its_type(worker, function, case, name):
    response = _case(worker, function, case)
    assert response.result.status == FAILURE
    exception = response.result.exception
    assert exception.message.startswith(f"{name}: ")
    assert "str() failed" in exception.message
    assert exception.type == f"reply_cases.{name}"
    assert "reply_cases.py" in exception.stack_trace
    _still_serves(worker, function)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_huge_exception_text_is_cut_and_says_how_much_was_left_out(worker, function):
    size = 4 * 1024 * 1024
    response = _case(worker, function, "huge", size=size)
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert message.startswith("ValueError: xxxx")
    assert len(message) < 100_000
    assert f"{size + len('ValueError: ') - 65536} more characters" in message
    _still_serves(worker, function)


# ---- a handler that raises ---------------------------------------------------------------------------


def test_metadata_request_after_the_working_directory_was_removed_is_answered_with_a_failure(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(APP, app)

    async def go():
        async with start_worker(str(app), init=False) as host:
            # no app folder named at init or in the request: the worker falls back to its cwd
            init = await host.channel.init("", timeout=10)
            shutil.rmtree(app)
            metadata = await host.channel.functions_metadata("", timeout=10)
            latency = await host.channel.status(timeout=5)
            return init, metadata, latency, list(host.channel.unexpected)

    init, metadata, latency, unexpected = run(go())
    assert init.result.status == SUCCESS
    assert metadata.result.status == FAILURE
    exception = metadata.result.exception
    assert "metadata request" in exception.message
    assert "FileNotFoundError" in exception.message
    assert "getcwd" in exception.stack_trace
    assert not metadata.function_metadata_results
    assert latency < 5
    assert not unexpected


# ---- replies over the size limit -----------------------------------------------------------------------


def test_load_response_over_the_hosts_size_limit_is_replaced_by_a_failure_naming_the_limit(limited):
    function_id, response = limited.loads["BigLoadError"]
    assert response.function_id == function_id
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert f"the load response for function {function_id} is 20" in message
    assert "the error it carried begins: " in message
    assert len(message) < 2000
    assert f"limit of 8 KiB ({LIMIT} bytes)" in message
    # the stream lives on: the functions that loaded are served
    _still_serves(limited)


def test_load_collection_over_the_limit_replaces_only_the_responses_that_do_not_fit(limited):
    metadata = {md.name: md for _, md in discover_v1_functions(APP)}
    requests = [
        _load_request("big-load-error-again", metadata["BigLoadError"]),
        _load_request(limited.function_id("Sync"), metadata["Sync"]),
    ]
    responses = limited.run(limited.channel.load_collection(requests, timeout=20), 25)
    big, sync = responses
    assert big.function_id == "big-load-error-again" and sync.function_id == limited.function_id("Sync")
    assert big.result.status == FAILURE
    message = big.result.exception.message
    assert "the load response collection is 20" in message
    assert f"limit of 8 KiB ({LIMIT} bytes)" in message
    assert "the load response for function big-load-error-again is left out: it alone is 19" in message
    assert sync.result.status == SUCCESS, failure_text(sync)
    _still_serves(limited)


def test_metadata_response_over_the_limit_is_replaced_by_a_failure_naming_the_limit(tmp_path):
    app = tmp_path / "v2app"
    app.mkdir()
    (app / "function_app.py").write_text(
        textwrap.dedent("""\
        raise ImportError("this app cannot be indexed: " + "x" * 20000)
    """)
    )

    async def go():
        async with start_worker(str(app), command=LimitedCommand(LIMIT)) as host:
            metadata = await host.channel.functions_metadata(str(app), timeout=20)
            latency = await host.channel.status(timeout=5)
            return metadata, latency

    metadata, latency = run(go())
    assert metadata.result.status == FAILURE
    message = metadata.result.exception.message
    assert "the function metadata response" in message
    assert f"limit of 8 KiB ({LIMIT} bytes)" in message
    assert latency < 5


def test_invocation_response_over_protobufs_limit_is_replaced_by_a_failure_naming_the_part():
    # The host passes int.MaxValue as the limit, which is no limit at all for gRPC; protobuf
    # cannot hold a message over 2 GiB. The script lowers that 2 GiB to 1 MiB, so the test does
    # not have to allocate 2 GiB: the worker otherwise runs as under the real host.
    async def go():
        command = WorkerCommand(module=None, script=SMALL_PROTOBUF_WORKER)
        async with start_worker(APP, command=command) as host:
            loads = await host.load_v1_app()
            big = await host.invoke(loads["Async"][0], {"req": http("GET", "http://x/api/f?case=bytes&size=2000000")})
            small = await host.invoke(loads["Async"][0], {"req": http("GET", "http://x/api/f?case=bytes&size=1000")})
            return host.process.argv, big, small

    argv, big, small = run(go())
    assert "2147483647" in argv
    assert big.result.status == FAILURE
    message = big.result.exception.message
    assert f"the response of invocation {big.invocation_id}" in message
    assert "1.91 MiB" in message and "the return value" in message
    assert "protobuf's limit of 1 MiB (1048576 bytes)" in message
    assert not big.HasField("return_value")
    assert small.result.status == SUCCESS, failure_text(small)
    assert small.return_value.http.body.bytes == b"x" * 1000


def _load_request(function_id: str, metadata: pb.RpcFunctionMetadata) -> pb.FunctionLoadRequest:
    return pb.FunctionLoadRequest(function_id=function_id, metadata=metadata)
