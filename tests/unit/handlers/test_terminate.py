"""WorkerTerminate: no new invocations; those in flight get the grace period, and the ones that
outlive it (running or still queued) are answered as failed; then the worker ends the stream."""
from __future__ import annotations

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, http, write_v1_function

FUNCTIONS = {
    "SleepAsync": """
        import asyncio, logging

        async def main(req):
            logging.info('started')
            await asyncio.sleep(float(req.params['seconds']))
            return 'slept'
    """,
    "SleepSync": """
        import logging, time

        def main(req):
            logging.info('started')
            time.sleep(float(req.params['seconds']))
            return 'slept'
    """,
}


@pytest.fixture
def worker(worker_harness, tmp_path):
    for name, code in FUNCTIONS.items():
        write_v1_function(tmp_path, name, code)
    worker = worker_harness(str(tmp_path), env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"})
    worker.load_v1_app()
    return worker


def _start(worker, name: str, seconds: float):
    request = build_invocation(worker.function_id(name),
                               {"req": http(url=f"http://x/api/f?seconds={seconds}")})
    task = worker.spawn(worker.channel.invoke(request))
    worker.settle(lambda: request.invocation_id in worker.state.in_flight)
    return request.invocation_id, task


def _terminate(worker, grace: float | None) -> None:
    message = pb.StreamingMessage(worker_terminate=pb.WorkerTerminate())
    if grace is not None:
        message.worker_terminate.grace_period.FromMilliseconds(int(grace * 1000))
    worker.send(message)


def _stream_ended(worker) -> str:
    return worker.run(worker.channel.wait_closed(10))


def test_after_terminate_new_invocations_are_refused(worker):
    _, running = _start(worker, "SleepAsync", 0.5)
    _terminate(worker, 5)
    worker.settle(lambda: worker.state.shutdown is not None)
    refused = worker.invoke("SleepAsync", {"req": http(url="http://x/api/f?seconds=0")})
    assert refused.result.status == FAILURE
    assert "shutting down (WorkerTerminate)" in refused.result.exception.message
    assert worker.run(running).result.status == SUCCESS


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_invocations_that_finish_within_the_grace_period_answer_normally(worker, name):
    _, running = _start(worker, name, 0.2)
    _terminate(worker, 5)
    assert worker.run(running).result.status == SUCCESS
    assert "ended its stream" in _stream_ended(worker)
    assert worker.abandoned == []


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_an_invocation_that_outlives_the_grace_period_is_answered_as_failed(worker, name):
    invocation_id, running = _start(worker, name, 3)
    _terminate(worker, 0.4)
    response = worker.run(running)
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "shutting down (WorkerTerminate)" in message and "grace period of 0.4 s" in message
    _stream_ended(worker)
    assert worker.abandoned == [invocation_id]


def test_a_queued_def_invocation_is_answered_and_never_starts(worker):
    _, running = _start(worker, "SleepSync", 1)
    queued_id, queued = _start(worker, "SleepSync", 0)  # the pool's one thread is busy
    _terminate(worker, 0.3)
    assert worker.run(queued).result.status == FAILURE
    assert worker.run(running).result.status == FAILURE
    _stream_ended(worker)
    assert not [log for log in worker.logs_for(queued_id) if log.message == "started"]


def test_without_a_grace_period_the_hosts_default_of_5_seconds_applies(worker):
    _terminate(worker, None)
    worker.settle(lambda: worker.state.shutdown is not None)
    assert round(worker.state.shutdown.grace, 2) == 5.0


def test_a_later_terminate_with_a_shorter_grace_period_brings_the_end_forward(worker):
    _, running = _start(worker, "SleepAsync", 5)
    _terminate(worker, 30)
    worker.settle(lambda: worker.state.shutdown is not None)
    _terminate(worker, 0.2)
    response = worker.run(running, timeout=4)
    assert response.result.status == FAILURE
    assert "WorkerTerminate" in response.result.exception.message


def test_terminate_itself_gets_no_answer_and_an_idle_worker_ends_the_stream(worker):
    worker.forget()
    _terminate(worker, 5)
    _stream_ended(worker)
    assert worker.kinds() == []
