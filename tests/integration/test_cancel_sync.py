"""A cancelled plain `def` invocation whose thread never returns does not take the pool with it:
with PYTHON_THREADPOOL_THREAD_COUNT=1 the pool replaces the thread and says so in a System log.

App ``tests/apps/v1_lifecycle`` (SpinSync keeps its thread busy for ``?seconds``).
"""

from __future__ import annotations

import asyncio
import time

from quickfunc.host.request_builders import build_invocation
from tests.driver import wait_logs
from tests.helpers import CANCELLED, LEVEL, SUCCESS, SYSTEM, app_path, failure_text, http, run
from tests.integration.fakehost import start_worker

APP = app_path("v1_lifecycle")


def _abandoned(logs, invocation_id: str) -> list:
    return [
        log
        for log in logs
        if log.log_category == SYSTEM and invocation_id in log.message and "gave up on that thread" in log.message
    ]


def test_a_cancelled_spinning_def_does_not_block_a_pool_of_one():
    async def go():
        async with start_worker(APP, env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) as host:
            loads = await host.load_v1_app()
            spin = build_invocation(loads["SpinSync"][0], {"req": http("GET", "http://x/api/spin?seconds=30")})
            hello_id = loads["Hello"][0]
            spinning = asyncio.ensure_future(host.channel.invoke(spin, timeout=20))
            started = await wait_logs(
                host.channel, lambda ls: any(log.message.startswith("started") for log in ls), spin.invocation_id, 10
            )
            assert any(log.message.startswith("started") for log in started), "SpinSync never started"
            # this one queues behind the spinning thread, the pool's only one
            queued = asyncio.ensure_future(host.invoke(hello_id, {"req": http()}, timeout=20))
            await asyncio.sleep(0.2)
            assert not queued.done()
            start = time.monotonic()
            await host.channel.cancel(spin.invocation_id)
            cancelled = await spinning
            queued_answer = await queued
            queued_after = time.monotonic() - start
            later = [await host.invoke(hello_id, {"req": http()}, timeout=20) for _ in range(3)]
            all_after = time.monotonic() - start
            logs = await wait_logs(host.channel, lambda ls: bool(_abandoned(ls, spin.invocation_id)), None, 5)
            return spin.invocation_id, cancelled, queued_answer, queued_after, later, all_after, logs

    invocation_id, cancelled, queued_answer, queued_after, later, all_after, logs = run(go(), 60)
    assert cancelled.result.status == CANCELLED
    assert queued_answer.result.status == SUCCESS, failure_text(queued_answer)
    assert all(r.result.status == SUCCESS and r.return_value.string == "hello" for r in later)
    assert queued_after < 5 and all_after < 8, (queued_after, all_after)
    warnings = _abandoned(logs, invocation_id)
    assert len(warnings) == 1, [log.message for log in logs if log.log_category == SYSTEM]
    assert warnings[0].level == LEVEL("Warning")
    assert "function 'SpinSync'" in warnings[0].message and "Abandoned threads: 1," in warnings[0].message


def test_a_def_invocation_cancelled_while_it_waits_for_a_thread_never_runs():
    async def go():
        async with start_worker(APP, env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) as host:
            loads = await host.load_v1_app()
            spin_id, hello_id = loads["SpinSync"][0], loads["Hello"][0]
            first, waiting = (
                build_invocation(spin_id, {"req": http("GET", "http://x/api/spin?seconds=30")}) for _ in range(2)
            )
            running = asyncio.ensure_future(host.channel.invoke(first, timeout=20))
            await wait_logs(
                host.channel, lambda ls: any(log.message.startswith("started") for log in ls), first.invocation_id, 10
            )
            queued = asyncio.ensure_future(host.channel.invoke(waiting, timeout=20))
            await asyncio.sleep(0.2)
            await host.channel.cancel(waiting.invocation_id)  # cancelled before any thread took it
            waiting_answer = await queued
            await host.channel.cancel(first.invocation_id)
            first_answer = await running
            # the replacement thread skips the cancelled call and is free at once
            start = time.monotonic()
            hello = await host.invoke(hello_id, {"req": http()}, timeout=20)
            elapsed = time.monotonic() - start
            await asyncio.sleep(0.3)
            return waiting_answer, first_answer, hello, elapsed, list(host.channel.logs_for(waiting.invocation_id))

    waiting_answer, first_answer, hello, elapsed, waiting_logs = run(go(), 60)
    assert waiting_answer.result.status == CANCELLED and first_answer.result.status == CANCELLED
    assert hello.result.status == SUCCESS, failure_text(hello)
    assert elapsed < 5
    assert not any(log.message.startswith("started") for log in waiting_logs), [log.message for log in waiting_logs]
