"""InvocationRequest: `def` and `async def` functions run and answer once, with their ids; user
errors, unknown functions and a second request for a running invocation are answered as failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, http, seconds_request, write_v1_function

FUNCTIONS = {
    "Echo": """
        def main(req):
            return req.params.get('say', 'hi')
    """,
    "EchoAsync": """
        async def main(req):
            return 'async ' + req.params.get('say', 'hi')
    """,
    "Raises": """
        def main(req):
            raise ValueError('bad input 42')
    """,
    "RaisesAsync": """
        async def main(req):
            raise LookupError('nothing under that key')
    """,
    "Sleep": """
        import asyncio

        async def main(req):
            await asyncio.sleep(float(req.params['seconds']))
            return 'slept'
    """,
}


@pytest.fixture(scope="module")
def worker(module_worker_harness, tmp_path_factory):
    app = tmp_path_factory.mktemp("invocation_app")
    for name, code in FUNCTIONS.items():
        write_v1_function(app, name, code)
    worker = module_worker_harness(str(app), request_id="worker-inv")
    worker.load_v1_app()
    return worker


@pytest.mark.parametrize("name, expected", [("Echo", "yo"), ("EchoAsync", "async yo")])
def test_def_and_async_def_functions_answer_with_their_return_value(worker, name, expected):
    response = worker.invoke(name, {"req": http(url="http://x/api/f?say=yo")})
    assert response.result.status == SUCCESS, response.result.exception.message
    assert response.return_value.string == expected


def test_the_answer_carries_the_invocation_id_and_the_workers_request_id(worker):
    request = build_invocation(worker.function_id("Echo"), {"req": http()}, invocation_id="inv-ids")
    worker.send(pb.StreamingMessage(request_id="host-req", invocation_request=request))
    reply = worker.next_reply("invocation_response", lambda m: m.invocation_response.invocation_id == "inv-ids")
    assert reply.request_id == "worker-inv"


@pytest.mark.parametrize(
    "name, error", [("Raises", "ValueError: bad input 42"), ("RaisesAsync", "LookupError: nothing under that key")]
)
def test_a_function_that_raises_is_answered_as_failed_with_its_exception(worker, name, error):
    response = worker.invoke(name, {"req": http()})
    assert response.result.status == FAILURE
    assert error in response.result.exception.message
    assert f"{name}/__init__.py" in response.result.exception.stack_trace


def test_an_unknown_function_id_is_answered_naming_the_loaded_functions(worker):
    response = worker.invoke_request(build_invocation("no-such-id", {"req": http()}))
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "no function with id 'no-such-id'" in message
    assert "Echo" in message and "Sleep" in message


def test_a_second_request_for_a_running_invocation_is_refused_and_the_first_answers_once(worker):
    request = seconds_request(worker.function_id("Sleep"), 0.3, invocation_id="inv-twice")
    worker.send(pb.StreamingMessage(invocation_request=request))
    worker.send(pb.StreamingMessage(invocation_request=request))
    worker.settle(lambda: len(worker.answers_for("inv-twice")) == 2)
    refused, done = worker.answers_for("inv-twice")
    assert refused.result.status == FAILURE
    assert "already running" in refused.result.exception.message
    assert done.result.status == SUCCESS and done.return_value.string == "slept"
    worker.run(asyncio.sleep(0.05))
    assert len(worker.answers_for("inv-twice")) == 2


def test_async_invocations_run_at_the_same_time_and_each_answers_once(worker):
    requests = [seconds_request(worker.function_id("Sleep"), 0.3) for _ in range(20)]
    started = time.monotonic()
    responses = worker.invoke_many(requests)
    assert time.monotonic() - started < 3.0  # one after another would take 6 s
    assert [r.result.status for r in responses] == [SUCCESS] * 20
    assert all(len(worker.answers_for(r.invocation_id)) == 1 for r in requests)


def test_an_answered_invocation_is_no_longer_in_flight(worker):
    response = worker.invoke("Echo", {"req": http()})
    assert response.result.status == SUCCESS
    assert response.invocation_id not in worker.state.in_flight
