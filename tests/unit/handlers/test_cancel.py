"""InvocationCancel: the invocation's one answer says Cancelled, whether it runs on the loop, in a
pool thread or waits in the pool's queue; a cancel for nothing running is ignored."""

from __future__ import annotations

import time

import pytest

from quickfunc.protos import pb
from tests.driver import wait_started
from tests.helpers import CANCELLED, SUCCESS, http, seconds_request


def _running(sleepers, name: str, seconds: float):
    """Start `name` sleeping `seconds` and wait until it runs: (its id, the Task of its answer)."""
    request = seconds_request(sleepers.function_id(name), seconds)
    answer = sleepers.start(request)
    sleepers.run(wait_started(sleepers.channel, request.invocation_id))
    return request.invocation_id, answer


def _cancel(sleepers, invocation_id: str) -> None:
    sleepers.run(sleepers.channel.cancel(invocation_id))


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_a_running_invocation_is_answered_cancelled_at_once(sleepers, name):
    invocation_id, answer = _running(sleepers, name, 3.0)
    began = time.monotonic()
    _cancel(sleepers, invocation_id)
    response = sleepers.run(answer)
    assert time.monotonic() - began < 2.0  # not after the function's 3 s
    assert response.result.status == CANCELLED
    assert "cancelled" in response.result.result


def test_a_cancelled_def_function_that_finishes_later_is_not_answered_again(sleepers):
    invocation_id, answer = _running(sleepers, "SleepSync", 0.2)
    _cancel(sleepers, invocation_id)
    assert sleepers.run(answer).result.status == CANCELLED
    # the thread returns from the function
    sleepers.settle(lambda: sleepers.state.executor.abandoned_count == 0, timeout=5)
    assert len(sleepers.answers_for(invocation_id)) == 1


def test_a_queued_def_invocation_is_answered_cancelled_and_never_runs(sleepers):
    first_id, first = _running(sleepers, "SleepSync", 0.3)
    queued = seconds_request(sleepers.function_id("SleepSync"), 0.0)
    waiting = sleepers.start(queued)  # waits: the pool has one thread
    _cancel(sleepers, queued.invocation_id)
    assert sleepers.run(waiting).result.status == CANCELLED
    assert sleepers.run(first).result.status == SUCCESS
    sleepers.invoke("BodySize", {"req": http()})  # the pool thread is free: the queue was seen
    assert not sleepers.logs_for(queued.invocation_id)  # it never ran, so it logged nothing


def test_the_pool_serves_on_while_a_cancelled_def_function_still_runs(sleepers):
    invocation_id, answer = _running(sleepers, "SleepSync", 3.0)
    _cancel(sleepers, invocation_id)
    sleepers.run(answer)
    began = time.monotonic()
    response = sleepers.invoke("BodySize", {"req": http()})
    assert response.return_value.string == "0 bytes"
    assert time.monotonic() - began < 2.0  # the only thread still sleeps; a new one served


@pytest.mark.parametrize("invocation_id", ["never-heard-of", ""])
def test_a_cancel_for_nothing_running_is_ignored(sleepers, invocation_id):
    sleepers.forget()
    _cancel(sleepers, invocation_id)
    sleepers.run(sleepers.channel.status())
    assert sleepers.kinds() == ["worker_status_response"]


def test_a_cancel_after_the_answer_changes_nothing(sleepers):
    response = sleepers.invoke("BodySize", {"req": http()})
    _cancel(sleepers, response.invocation_id)
    sleepers.run(sleepers.channel.status())
    assert [a.result.status for a in sleepers.answers_for(response.invocation_id)] == [SUCCESS]
    assert not sleepers.channel.unexpected


def test_giving_up_on_a_def_functions_thread_is_logged_naming_the_function(sleepers):
    invocation_id, answer = _running(sleepers, "SleepSync", 0.3)
    _cancel(sleepers, invocation_id)
    sleepers.run(answer)
    warnings = [log.message for log in sleepers.channel.logs if "gave up on that thread" in log.message]
    assert len(warnings) == 1
    assert "SleepSync" in warnings[0] and invocation_id in warnings[0]


def test_a_cancel_dispatched_right_behind_its_request_gets_the_one_cancelled_answer(sleepers):
    """Request and cancel in one read of the stream: on Python < 3.12 the invocation's Task has
    not taken its first step when the cancel arrives, and a Task cancelled then never runs its
    coroutine, so only the Task's end can answer for it."""
    request = seconds_request(sleepers.function_id("SleepAsync"), 3.0)
    invocation_id = request.invocation_id

    async def both() -> None:
        sleepers.dispatcher.dispatch(pb.StreamingMessage(invocation_request=request))
        sleepers.dispatcher.dispatch(
            pb.StreamingMessage(invocation_cancel=pb.InvocationCancel(invocation_id=invocation_id))
        )

    began = time.monotonic()
    sleepers.run(both())
    answer = sleepers.next_reply("invocation_response", lambda m: m.invocation_response.invocation_id == invocation_id)
    assert answer.invocation_response.result.status == CANCELLED
    assert time.monotonic() - began < 2.0  # not after the function's 3 s
    sleepers.run(sleepers.channel.status())
    assert len(sleepers.answers_for(invocation_id)) == 1
    assert invocation_id not in sleepers.state.in_flight
