"""InvocationCancel: the invocation's one answer says Cancelled, whether it runs on the loop, in a
pool thread or waits in the pool's queue; a cancel for nothing running is ignored."""
from __future__ import annotations

import time

import pytest

from quickfunc.host.request_builders import build_invocation
from tests.helpers import CANCELLED, SUCCESS, http, write_v1_function

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
    "Quick": """
        def main(req):
            return 'quick'
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
    """Start an invocation; (its id, the Task awaiting its answer)."""
    request = build_invocation(worker.function_id(name),
                               {"req": http(url=f"http://x/api/f?seconds={seconds}")})
    return request.invocation_id, worker.spawn(worker.channel.invoke(request))


def _started(worker, invocation_id: str) -> bool:
    return any(log.message == "started" for log in worker.logs_for(invocation_id))


def _cancel(worker, invocation_id: str) -> None:
    worker.run(worker.channel.cancel(invocation_id))


@pytest.mark.parametrize("name", ["SleepAsync", "SleepSync"])
def test_a_running_invocation_is_answered_cancelled_at_once(worker, name):
    invocation_id, answer = _start(worker, name, 1.0)
    worker.settle(lambda: _started(worker, invocation_id))
    began = time.monotonic()
    _cancel(worker, invocation_id)
    response = worker.run(answer)
    assert time.monotonic() - began < 0.8  # not after the function's 1 s
    assert response.result.status == CANCELLED
    assert "cancelled" in response.result.result


def test_a_cancelled_def_function_that_finishes_later_is_not_answered_again(worker):
    invocation_id, answer = _start(worker, "SleepSync", 0.2)
    worker.settle(lambda: _started(worker, invocation_id))
    _cancel(worker, invocation_id)
    assert worker.run(answer).result.status == CANCELLED
    # the thread returns from the function
    worker.settle(lambda: worker.state.executor.abandoned_count == 0, timeout=5)
    assert len(worker.answers_for(invocation_id)) == 1


def test_a_queued_def_invocation_is_answered_cancelled_and_never_runs(worker):
    first_id, first = _start(worker, "SleepSync", 0.3)
    worker.settle(lambda: _started(worker, first_id))
    queued_id, queued = _start(worker, "SleepSync", 0.0)  # waits: the pool has one thread
    worker.settle(lambda: queued_id in worker.state.in_flight)
    _cancel(worker, queued_id)
    assert worker.run(queued).result.status == CANCELLED
    assert worker.run(first).result.status == SUCCESS
    worker.invoke("Quick", {"req": http()})  # the pool's thread is free: the queue was looked at
    assert not _started(worker, queued_id)


def test_the_pool_serves_on_while_a_cancelled_def_function_still_runs(worker):
    invocation_id, answer = _start(worker, "SleepSync", 1.0)
    worker.settle(lambda: _started(worker, invocation_id))
    _cancel(worker, invocation_id)
    worker.run(answer)
    began = time.monotonic()
    response = worker.invoke("Quick", {"req": http()})
    assert response.return_value.string == "quick"
    assert time.monotonic() - began < 0.8  # the only thread still sleeps; a new one served


@pytest.mark.parametrize("invocation_id", ["never-heard-of", ""])
def test_a_cancel_for_nothing_running_is_ignored(worker, invocation_id):
    worker.forget()
    _cancel(worker, invocation_id)
    worker.run(worker.channel.status())
    assert worker.kinds() == ["worker_status_response"]


def test_a_cancel_after_the_answer_changes_nothing(worker):
    response = worker.invoke("Quick", {"req": http()})
    _cancel(worker, response.invocation_id)
    worker.run(worker.channel.status())
    assert [a.result.status for a in worker.answers_for(response.invocation_id)] == [SUCCESS]
    assert not worker.channel.unexpected


def test_giving_up_on_a_def_functions_thread_is_logged_naming_the_function(worker):
    invocation_id, answer = _start(worker, "SleepSync", 0.3)
    worker.settle(lambda: _started(worker, invocation_id))
    _cancel(worker, invocation_id)
    worker.run(answer)
    warnings = [log.message for log in worker.channel.logs
                if "gave up on that thread" in log.message]
    assert len(warnings) == 1
    assert "SleepSync" in warnings[0] and invocation_id in warnings[0]
