"""WorkerTerminate: no new invocations; those in flight get the grace period, and the ones that
outlive it (running or still queued) are answered as failed; then the sleepers ends the stream."""

from __future__ import annotations

import pytest

from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, seconds_request


def _start(sleepers, name: str, seconds: float):
    """Start `name` sleeping `seconds`: (its id, the Task of its answer)."""
    request = seconds_request(sleepers.function_id(name), seconds)
    return request.invocation_id, sleepers.start(request)


def _terminate(sleepers, grace: float | None) -> None:
    message = pb.StreamingMessage(worker_terminate=pb.WorkerTerminate())
    if grace is not None:
        message.worker_terminate.grace_period.FromMilliseconds(int(grace * 1000))
    sleepers.send(message)


def _stream_ended(sleepers) -> str:
    return sleepers.run(sleepers.channel.wait_closed(10))


def test_after_terminate_new_invocations_are_refused(sleepers):
    _, running = _start(sleepers, "SleepAsync", 0.5)
    _terminate(sleepers, 5)
    sleepers.settle(lambda: sleepers.state.shutdown is not None)
    refused = sleepers.invoke_request(seconds_request(sleepers.function_id("SleepAsync"), 0))
    assert refused.result.status == FAILURE
    assert "shutting down (WorkerTerminate)" in refused.result.exception.message
    assert sleepers.run(running).result.status == SUCCESS


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_invocations_that_finish_within_the_grace_period_answer_normally(sleepers, name):
    _, running = _start(sleepers, name, 0.2)
    _terminate(sleepers, 5)
    assert sleepers.run(running).result.status == SUCCESS
    assert "ended its stream" in _stream_ended(sleepers)
    assert sleepers.abandoned == []


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_an_invocation_that_outlives_the_grace_period_is_answered_as_failed(sleepers, name):
    invocation_id, running = _start(sleepers, name, 3)
    _terminate(sleepers, 0.4)
    response = sleepers.run(running)
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "shutting down (WorkerTerminate)" in message and "grace period of 0.4 s" in message
    _stream_ended(sleepers)
    assert sleepers.abandoned == [invocation_id]


def test_a_queued_def_invocation_is_answered_and_never_starts(sleepers):
    _, running = _start(sleepers, "SleepSync", 1)
    queued_id, queued = _start(sleepers, "SleepSync", 0)  # the pool's one thread is busy
    _terminate(sleepers, 0.3)
    assert sleepers.run(queued).result.status == FAILURE
    assert sleepers.run(running).result.status == FAILURE
    _stream_ended(sleepers)
    assert not [log for log in sleepers.logs_for(queued_id) if log.message.startswith("started")]


def test_without_a_grace_period_the_hosts_default_of_5_seconds_applies(sleepers):
    _terminate(sleepers, None)
    sleepers.settle(lambda: sleepers.state.shutdown is not None)
    assert round(sleepers.state.shutdown.grace, 2) == 5.0


def test_a_later_terminate_with_a_shorter_grace_period_brings_the_end_forward(sleepers):
    _, running = _start(sleepers, "SleepAsync", 5)
    _terminate(sleepers, 30)
    sleepers.settle(lambda: sleepers.state.shutdown is not None)
    _terminate(sleepers, 0.2)
    response = sleepers.run(running, timeout=4)
    assert response.result.status == FAILURE
    assert "WorkerTerminate" in response.result.exception.message


def test_terminate_itself_gets_no_answer_and_an_idle_worker_ends_the_stream(sleepers):
    sleepers.forget()
    _terminate(sleepers, 5)
    _stream_ended(sleepers)
    assert sleepers.kinds() == []
