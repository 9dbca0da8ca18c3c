"""Faults: the stream ends mid-invocation, WorkerTerminate with work in flight, sys.exit and
os._exit in user code, a function that blocks the loop, messages over the size limit, a log flood.

App ``tests/apps/faults``. Tests that end the worker start their own process; the others share
one (and one more started with a small message size limit on its command line).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.host.worker_stream import WorkerGone
from tests.driver import wait_logs, wait_started
from tests.helpers import (
    FAILURE,
    LEVEL,
    SUCCESS,
    SYSTEM,
    USER,
    app_path,
    failure_text,
    http,
    run,
    seconds_request,
    stderr_of,
)
from tests.integration.conftest import LimitedCommand
from tests.integration.fakehost import start_worker

APP = app_path("faults")
LIMIT = 64 * 1024
#: one function of each way an invocation can be waiting: on the loop, in the sync pool, and in
#: a thread of its own (asyncio.to_thread, which the blocked-loop warning recommends)
SLEEPERS = ("SleepAsync", "SleepSync", "SleepInThread")


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP)


@pytest.fixture(scope="module")
def limited(live_worker_factory):
    return live_worker_factory(APP, command=LimitedCommand(LIMIT))


async def _long_sleep_in_flight(host, function: str):
    """Load the app and start a 30 s sleep in ``function``: (its request, its pending answer)."""
    loads = await host.load_v1_app()
    request = seconds_request(loads[function][0], 30)
    pending = asyncio.ensure_future(host.channel.invoke(request, timeout=40))
    await wait_started(host.channel, request.invocation_id)
    return request, pending


# ---- the host ends the stream ---------------------------------------------------------------------


@pytest.mark.parametrize("function", SLEEPERS)
def test_host_closing_the_stream_mid_invocation_ends_the_worker_within_2_s_with_an_error(function):
    async def go():
        async with start_worker(APP) as host:
            request, pending = await _long_sleep_in_flight(host, function)
            start = time.monotonic()
            await host.channel.close(timeout=2)
            code = await host.process.wait(3)
            elapsed = time.monotonic() - start
            with pytest.raises(WorkerGone):
                await pending
            return code, elapsed, stderr_of(host)

    code, elapsed, stderr = run(go())
    assert code == 1
    assert elapsed < 2
    # the host logs stderr: it says why, although the stream is gone
    assert "the host closed the stream with 1 invocation(s) still running" in stderr


# ---- WorkerTerminate ----------------------------------------------------------------------------------


def test_terminate_lets_in_flight_invocations_finish_answers_them_and_exits_0_within_the_grace():
    async def go():
        async with start_worker(APP) as host:
            loads = await host.load_v1_app()
            requests = [
                seconds_request(loads[name][0], seconds)
                for name, seconds in zip(SLEEPERS, (1.5, 1.0, 0.5), strict=True)
            ]
            pending = [asyncio.ensure_future(host.channel.invoke(r, timeout=20)) for r in requests]
            for request in requests:
                await wait_started(host.channel, request.invocation_id)
            start = time.monotonic()
            await host.channel.terminate(grace_seconds=5)
            # work that comes after WorkerTerminate is turned down, with the reason
            late = await host.invoke(loads["Hello"][0], {"req": http()}, timeout=5)
            responses = await asyncio.gather(*pending)
            code = await host.process.wait(6)
            return requests, responses, late, code, time.monotonic() - start

    requests, responses, late, code, elapsed = run(go())
    for request, response, seconds in zip(requests, responses, (1.5, 1.0, 0.5), strict=True):
        assert response.invocation_id == request.invocation_id
        assert response.result.status == SUCCESS, failure_text(response)
        assert response.return_value.string == f"slept {seconds}"
    assert late.result.status == FAILURE
    assert "shutting down" in late.result.exception.message
    assert code == 0
    assert elapsed < 5


@pytest.mark.parametrize("function", SLEEPERS)
def test_terminate_answers_what_outlasts_the_grace_as_failed_and_the_worker_still_exits(function):
    async def go():
        async with start_worker(APP) as host:
            request, pending = await _long_sleep_in_flight(host, function)
            start = time.monotonic()
            await host.channel.terminate(grace_seconds=1)
            response = await pending
            code = await host.process.wait(5)
            elapsed = time.monotonic() - start
            return request.invocation_id, response, code, elapsed, list(host.channel.logs)

    invocation_id, response, code, elapsed, logs = run(go())
    assert response.invocation_id == invocation_id
    assert response.result.status == FAILURE
    assert response.result.exception.message == (
        "RuntimeError: the worker is shutting down (WorkerTerminate), this invocation did not "
        "finish within the grace period of 1 s"
    )
    assert code == 0
    assert elapsed < 1 + 1.0
    abandoned = [log for log in logs if "did not finish and were answered as failed" in log.message]
    assert len(abandoned) == 1 and invocation_id in abandoned[0].message
    assert abandoned[0].log_category == SYSTEM and abandoned[0].level == LEVEL("Warning")


# ---- user code that tries to end the process -----------------------------------------------------------


@pytest.mark.parametrize("function, text", [("SysExit", "SystemExit: 3"), ("SysExitAsync", "SystemExit: giving up")])
def test_sys_exit_in_a_function_fails_that_invocation_and_the_worker_keeps_serving(worker, function, text):
    response = worker.invoke(function, {"req": http()})
    assert response.result.status == FAILURE
    assert response.result.exception.message == text
    assert f"{function}/__init__.py" in response.result.exception.stack_trace
    assert worker.host.process.returncode is None
    again = worker.invoke("Hello", {"req": http()})
    assert again.result.status == SUCCESS, failure_text(again)


def test_os_exit_in_a_function_ends_the_process_and_the_host_notices_at_once():
    async def go():
        async with start_worker(APP) as host:
            loads = await host.load_v1_app()
            start = time.monotonic()
            with pytest.raises(WorkerGone):
                await host.invoke(loads["OsExit"][0], {"req": http()}, timeout=10)
            noticed = time.monotonic() - start
            return await host.process.wait(5), noticed

    code, noticed = run(go())
    assert code == 7  # the function's own exit code: nothing the worker can intercept
    assert noticed < 5  # the pending invocation fails when the stream drops, not at its timeout


# ---- a function that blocks the event loop --------------------------------------------------------------


def test_function_blocking_the_loop_for_2_s_is_named_in_a_warning_and_the_worker_recovers(worker):
    blocker = build_invocation(worker.function_id("BlockLoop"), {"req": http("GET", "http://x/api/block?seconds=2")})
    hello = build_invocation(worker.function_id("Hello"), {"req": http()})

    async def go():
        channel = worker.channel
        before = len(channel.logs)
        start = time.monotonic()
        blocked = asyncio.ensure_future(channel.invoke(blocker, timeout=15))
        await asyncio.sleep(0.2)  # the loop is blocked by now
        waiting = asyncio.ensure_future(channel.invoke(hello, timeout=15))
        results = await asyncio.gather(blocked, waiting)
        elapsed = time.monotonic() - start
        logs = await wait_logs(
            channel, lambda ls: any("responsive again" in log.message for log in ls[before:]), None, 5
        )
        return results, elapsed, logs[before:]

    (blocked, waiting), elapsed, logs = worker.run(go())
    assert blocked.result.status == SUCCESS, failure_text(blocked)
    assert blocked.return_value.string == "unblocked"
    assert waiting.result.status == SUCCESS, failure_text(waiting)  # delayed, not lost
    assert elapsed < 5
    warnings = [log for log in logs if "blocked the event loop" in log.message]
    assert len(warnings) == 1, [log.message for log in logs]
    warning = warnings[0]
    assert warning.level == LEVEL("Warning") and warning.log_category == SYSTEM
    assert "function 'BlockLoop'" in warning.message
    assert "BlockLoop/__init__.py:8" in warning.message  # the line holding the loop
    assert "asyncio.to_thread" in warning.message  # and what to do instead
    assert warning.invocation_id == blocker.invocation_id
    assert any("responsive again" in log.message for log in logs)
    again = worker.invoke("Hello", {"req": http()})
    assert again.result.status == SUCCESS, failure_text(again)


# ---- the message size limit --------------------------------------------------------------------------------
# (a response over the limit: test_v1_bad_input.py, test_output_over_the_message_size_limit_...)


def test_log_record_over_the_size_limit_is_cut_to_fit_and_says_so(limited):
    response = limited.invoke("BigLog", {"req": http("GET", f"http://x/api/big?size={LIMIT * 2}")})
    assert response.result.status == SUCCESS, failure_text(response)
    assert response.return_value.string == f"logged {LIMIT * 2}"
    logs = [log for log in limited.logs_for(response.invocation_id) if log.message.startswith("big ")]
    assert len(logs) == 1
    message = logs[0].message
    assert len(message.encode()) < LIMIT
    assert message.startswith("big xxxx")
    assert f"truncated: it has {LIMIT * 2 + 4} bytes" in message and str(LIMIT) in message
    assert logs[0].log_category == USER


def test_request_over_the_size_limit_is_still_read_and_answered(limited):
    # the limit on the command line is for what the worker sends; the host enforces its own
    body = b"y" * (LIMIT * 2)
    response = limited.invoke("BodySize", {"req": http("POST", "http://x/api/size", body=body)})
    assert response.result.status == SUCCESS, failure_text(response)
    assert response.return_value.string == f"{LIMIT * 2} bytes"


# ---- odd and many logs ---------------------------------------------------------------------------------


def test_log_text_with_a_lone_surrogate_arrives_escaped(worker):
    response = worker.invoke("SurrogateLog", {"req": http()})
    assert response.result.status == SUCCESS, failure_text(response)
    messages = [log.message for log in worker.logs_for(response.invocation_id)]
    assert "cannot open report-\\udcff.csv" in messages
    assert "Logging error" not in "\n".join(line.text for line in worker.host.output)


def test_flood_of_10000_log_records_from_one_invocation_all_arrive_in_order_before_the_answer(worker):
    request = build_invocation(worker.function_id("LogFlood"), {"req": http("GET", "http://x/api/flood?count=10000")})

    async def go():
        channel = worker.channel
        start = time.monotonic()
        response = await channel.invoke(request, timeout=60)
        elapsed = time.monotonic() - start
        # logs and the answer share one ordered stream: all of them are here already
        logs = [log for log in channel.logs_for(request.invocation_id) if log.message.startswith("flood ")]
        status_latency = await channel.status(timeout=5)
        return response, elapsed, logs, status_latency

    response, elapsed, logs, status_latency = worker.run(go(), 90)
    assert response.result.status == SUCCESS, failure_text(response)
    assert response.return_value.string == "logged 10000"
    assert [log.message for log in logs] == [f"flood {i}" for i in range(10000)]
    assert all(log.invocation_id == request.invocation_id and log.log_category == USER for log in logs)
    assert elapsed < 30
    assert status_latency < 2
