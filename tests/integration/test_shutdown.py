"""How the worker stops: the drain on WorkerTerminate and on SIGTERM (every invocation answered,
queued ones too), a message it cannot decode, and a host that never sends WorkerInitRequest.

App ``tests/apps/faults``. Every test starts its own worker process, since each one ends it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from quickfunc.protos import pb
from tests.driver import wait_logs
from tests.helpers import FAILURE, SUCCESS, app_path, failure_text, http, run, seconds_request, stderr_of
from tests.integration.fakehost import start_worker

APP = app_path("faults")
#: a small pool, so most of the plain `def` invocations wait in its queue
SMALL_POOL = {"PYTHON_THREADPOOL_THREAD_COUNT": "2"}
#: (function, seconds) for the in-flight mix: quick and slow async sleeps, 0.5 s `def` sleeps
MIX = (("SleepSync", 0.5), ("SleepAsync", 0.2), ("SleepSync", 0.5), ("SleepAsync", 30))


async def _in_flight(host, count: int):
    """Start ``count`` invocations of the mix; return once the worker has read them all."""
    loads = await host.load_v1_app()
    plan = [MIX[i % len(MIX)] for i in range(count)]
    requests = [seconds_request(loads[name][0], seconds) for name, seconds in plan]
    pending = [asyncio.ensure_future(host.channel.invoke(r, timeout=40)) for r in requests]
    await asyncio.sleep(0)  # each invoke() queues its request before the status request below
    await host.channel.status(timeout=20)  # answered after the worker has read every request
    return plan, requests, pending


async def _outcome(host, pending, exit_timeout: float):
    """(responses or exceptions, exit code, seconds to exit, duplicate answers) after a stop."""
    start = time.monotonic()
    code = await host.process.wait(exit_timeout)
    elapsed = time.monotonic() - start
    results = await asyncio.gather(*pending, return_exceptions=True)
    await host.channel.wait_closed(5)
    duplicates = [m for m in host.channel.unexpected if m.HasField("invocation_response")]
    return results, code, elapsed, duplicates


def _check_every_one_answered(plan, requests, results, cause: str, grace: str) -> None:
    unanswered = [r for r in results if isinstance(r, BaseException)]
    assert unanswered == [], f"{len(unanswered)} of {len(results)} got no answer: {unanswered[:3]}"
    shutdown_text = (
        f"RuntimeError: the worker is shutting down ({cause}), this invocation did "
        f"not finish within the grace period of {grace}"
    )
    for (name, seconds), request, response in zip(plan, requests, results, strict=True):
        assert response.invocation_id == request.invocation_id
        if response.result.status == SUCCESS:
            assert seconds < 30, f"{name} {seconds} s cannot have finished"
            assert response.return_value.string == f"slept {seconds}"
        else:
            assert response.result.status == FAILURE
            assert response.result.exception.message == shutdown_text, failure_text(response)
            assert response.result.exception.is_user_exception is False
    statuses = [r.result.status for r in results]
    assert SUCCESS in statuses and FAILURE in statuses
    # the queued `def` jobs: 2 threads cannot run 50 half-second sleeps in the grace period
    sync_failures = [
        r for (name, _), r in zip(plan, results, strict=True) if name == "SleepSync" and r.result.status == FAILURE
    ]
    assert len(sync_failures) >= 30
    slow = [r for (_, seconds), r in zip(plan, results, strict=True) if seconds == 30]
    assert all(r.result.status == FAILURE for r in slow)


# ---- WorkerTerminate and SIGTERM: one drain ------------------------------------------------------


def test_terminate_with_100_in_flight_answers_every_invocation_once_and_exits_0_within_the_grace():
    async def go():
        async with start_worker(APP, env=SMALL_POOL) as host:
            plan, requests, pending = await _in_flight(host, 100)
            start = time.monotonic()
            await host.channel.terminate(grace_seconds=1)
            results, code, _, duplicates = await _outcome(host, pending, 10)
            return plan, requests, results, code, time.monotonic() - start, duplicates

    plan, requests, results, code, elapsed, duplicates = run(go(), 60)
    _check_every_one_answered(plan, requests, results, "WorkerTerminate", "1 s")
    assert duplicates == []
    assert code == 0
    assert elapsed < 1 + 1.0


def test_sigterm_with_100_in_flight_drains_the_same_way_and_turns_down_new_work():
    env = {**SMALL_POOL, "PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS": "1.5"}

    async def go():
        async with start_worker(APP, env=env) as host:
            plan, requests, pending = await _in_flight(host, 100)
            hello = (await host.load_v1_app())["Hello"][0]
            start = time.monotonic()
            await host.process.terminate()
            logs = await wait_logs(host.channel, lambda ls: any("SIGTERM" in r.message for r in ls))
            late = await host.invoke(hello, {"req": http()}, timeout=5)
            results, code, _, duplicates = await _outcome(host, pending, 10)
            notes = [r.message for r in logs if "SIGTERM" in r.message]
            return plan, requests, results, code, time.monotonic() - start, duplicates, late, notes

    plan, requests, results, code, elapsed, duplicates, late, notes = run(go(), 60)
    _check_every_one_answered(plan, requests, results, "SIGTERM", "1.5 s")
    assert duplicates == []
    assert code == 0
    assert elapsed < 1.5 + 1.0
    assert notes and "within 1.5 s" in notes[0]
    assert late.result.status == FAILURE
    assert "the worker is shutting down (SIGTERM) and takes no new invocations" in late.result.exception.message


def test_a_second_sigterm_ends_the_grace_period_at_once():
    env = {"PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS": "30"}

    async def go():
        async with start_worker(APP, env=env) as host:
            plan, requests, pending = await _in_flight(host, 4)
            await host.process.terminate()
            await wait_logs(host.channel, lambda ls: any("SIGTERM" in r.message for r in ls))
            await host.process.terminate()
            results, code, elapsed, duplicates = await _outcome(host, pending, 10)
            return plan, results, code, elapsed, duplicates

    plan, results, code, elapsed, duplicates = run(go(), 60)
    slow = [r for (_, seconds), r in zip(plan, results, strict=True) if seconds == 30]
    assert len(slow) == 1 and not isinstance(slow[0], BaseException)
    assert slow[0].result.status == FAILURE
    assert "(SIGTERM), this invocation did not finish within the grace period" in slow[0].result.exception.message
    assert duplicates == []
    assert code == 0
    assert elapsed < 3


# ---- a message the worker cannot decode ----------------------------------------------------------


def _nested_too_deep(levels: int = 200) -> bytes:
    """An InvocationRequest whose http body nests TypedData → RpcHttp past the parser's limit."""

    def length(n: int) -> bytes:
        out = b""
        while True:
            low, n = n & 0x7F, n >> 7
            if not n:
                return out + bytes([low])
            out += bytes([low | 0x80])

    def field(tag: int, body: bytes) -> bytes:
        return bytes([tag]) + length(len(body)) + body

    data = b""
    for _ in range(levels):
        data = field(0x2A, field(0x22, data))  # TypedData.http (5) → RpcHttp.body (4)
    return field(0x22, field(0x1A, field(0x12, data)))  # invocation_request.input_data[].data


UNDECODABLE = {
    "not protobuf": b"\xff\xff\xff\xff",
    "invalid UTF-8": pb.StreamingMessage(request_id="x").SerializeToString().replace(b"x", b"\xff"),
    "nested too deep": _nested_too_deep(),
}


@pytest.mark.parametrize("kind", list(UNDECODABLE))
def test_undecodable_message_is_reported_on_stderr_and_the_worker_exits_3(kind):
    data = UNDECODABLE[kind]

    async def go():
        async with start_worker(APP) as host:
            await host.channel.status(timeout=10)
            start = time.monotonic()
            await host.channel.send_raw(data)
            code = await host.process.wait(10)
            return code, time.monotonic() - start, stderr_of(host)

    code, elapsed, stderr = run(go())
    assert code == 3
    assert elapsed < 3
    assert "the host sent a message the worker cannot decode" in stderr
    assert f"{len(data)} bytes" in stderr and "DecodeError" in stderr
    assert "the host closed the stream" not in stderr


def test_undecodable_message_mid_invocation_answers_it_before_exiting():
    env = {"PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS": "0.5"}

    async def go():
        async with start_worker(APP, env=env) as host:
            plan, requests, pending = await _in_flight(host, 4)
            await host.channel.send_raw(b"\xff\xff\xff\xff")
            results, code, elapsed, duplicates = await _outcome(host, pending, 10)
            return plan, results, code, elapsed, duplicates

    plan, results, code, elapsed, duplicates = run(go(), 60)
    slow = [r for (_, seconds), r in zip(plan, results, strict=True) if seconds == 30][0]
    assert not isinstance(slow, BaseException), slow
    assert slow.result.status == FAILURE
    assert slow.result.exception.message == (
        "RuntimeError: the worker is shutting down (the host sent a message it cannot decode), "
        "this invocation did not finish within the grace period of 0.5 s"
    )
    assert duplicates == []
    assert code == 3
    assert elapsed < 2.5


# ---- a host that never sends WorkerInitRequest ---------------------------------------------------


def test_worker_gives_up_when_no_init_request_comes_and_says_what_it_waited_for():
    async def go():
        async with start_worker(APP, env={"PYTHON_WORKER_INIT_TIMEOUT_SECONDS": "1"}, init=False) as host:
            start = time.monotonic()
            code = await host.process.wait(15)
            return code, time.monotonic() - start, stderr_of(host)

    code, elapsed, stderr = run(go())
    assert code == 4
    assert elapsed < 5
    assert "no WorkerInitRequest arrived within 1 s" in stderr
    assert "PYTHON_WORKER_INIT_TIMEOUT_SECONDS" in stderr


def test_init_in_time_keeps_the_worker_serving_past_the_init_timeout():
    async def go():
        async with start_worker(APP, env={"PYTHON_WORKER_INIT_TIMEOUT_SECONDS": "0.5"}) as host:
            loads = await host.load_v1_app()
            await asyncio.sleep(1.0)
            response = await host.invoke(loads["Hello"][0], {"req": http()}, timeout=10)
            return response, host.process.returncode

    response, returncode = run(go())
    assert response.result.status == SUCCESS, failure_text(response)
    assert returncode is None
