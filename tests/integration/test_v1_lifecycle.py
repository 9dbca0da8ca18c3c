"""Worker life cycle with a v1 app: status, cancel, terminate, stream end, env reload, unknown kinds.

App ``tests/apps/v1_lifecycle``. Tests that end or reshape the worker start their own process;
the others share one.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.driver import wait_logs, wait_started
from tests.helpers import CANCELLED, SUCCESS, SYSTEM, app_path, failure_text, http, run, seconds_request
from tests.integration.fakehost import start_worker

APP = app_path("v1_lifecycle")


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP)


def test_status_request_is_answered_with_the_same_request_id(worker):
    async def go():
        channel = worker.channel
        before = len(channel.unexpected)
        # channel.status() resolves only on a worker_status_response echoing its request_id
        latencies = [await channel.status(timeout=5) for _ in range(3)]
        await asyncio.sleep(0.05)
        return latencies, channel.unexpected[before:]

    latencies, unexpected = worker.run(go())
    assert all(0 <= t < 5 for t in latencies)
    assert unexpected == []


def test_unknown_message_kind_is_ignored_and_the_worker_keeps_answering(worker):
    async def go():
        channel = worker.channel
        before = len(channel.unexpected)
        await channel.send(
            pb.StreamingMessage(
                file_change_event_request=pb.FileChangeEventRequest(
                    type=pb.FileChangeEventRequest.Type.Value("Changed"), full_path=APP, name="x.py"
                )
            )
        )
        await channel.status(timeout=5)
        logs = await wait_logs(
            channel, lambda ls: any("file_change_event_request" in log.message for log in ls), None, 5
        )
        return channel.unexpected[before:], logs

    unexpected, logs = worker.run(go())
    assert unexpected == []  # no answer of any kind to the unknown message
    notes = [log for log in logs if "file_change_event_request" in log.message]
    assert notes and all(log.log_category == SYSTEM for log in notes)
    resp = worker.invoke("Hello", {"req": http()})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "hello"


def test_cancel_of_in_flight_async_invocation_gives_exactly_one_cancelled_response(worker):
    request = seconds_request(worker.function_id("SlowAsync"), 30)

    async def go():
        channel = worker.channel
        before = len(channel.unexpected)
        pending = asyncio.ensure_future(channel.invoke(request, timeout=10))
        await wait_started(channel, request.invocation_id)
        start = time.monotonic()
        await channel.cancel(request.invocation_id)
        resp = await pending
        elapsed = time.monotonic() - start
        # a second response would land in `unexpected`: give it time to show up
        await channel.status(timeout=5)
        await asyncio.sleep(0.3)
        extra = [m for m in channel.unexpected[before:] if m.HasField("invocation_response")]
        return resp, elapsed, extra

    resp, elapsed, extra = worker.run(go())
    assert resp.invocation_id == request.invocation_id
    assert resp.result.status == CANCELLED
    assert elapsed < 2
    assert extra == []
    assert not any(log.message == "finished" for log in worker.logs_for(request.invocation_id))
    again = worker.invoke("Hello", {"req": http()})
    assert again.result.status == SUCCESS, failure_text(again)


def test_terminate_answers_the_in_flight_invocation_then_exits_0_within_the_grace(tmp_path):
    async def go():
        async with start_worker(APP) as host:
            loads = await host.load_v1_app()
            request = seconds_request(loads["SlowAsync"][0], 1)
            pending = asyncio.ensure_future(host.channel.invoke(request, timeout=10))
            await wait_started(host.channel, request.invocation_id)
            start = time.monotonic()
            await host.channel.terminate(grace_seconds=5)
            resp = await pending
            code = await host.process.wait(5)
            return resp, code, time.monotonic() - start

    resp, code, elapsed = run(go())
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "slept 1.0"
    assert code == 0
    assert elapsed < 5


def test_host_closing_the_stream_makes_the_worker_exit_within_2_seconds():
    async def go():
        async with start_worker(APP) as host:
            await host.load_v1_app()
            start = time.monotonic()
            await host.channel.close(timeout=2)
            code = await host.process.wait(2)
            return code, time.monotonic() - start

    code, elapsed = run(go())
    assert code == 0
    assert elapsed < 2


def test_environment_reload_replaces_env_and_changes_cwd(tmp_path):
    placeholder = tmp_path / "placeholder"
    placeholder.mkdir()

    async def go():
        async with start_worker(str(placeholder), env={"OLD_SETTING": "placeholder"}) as host:
            env = {"NEW_SETTING": "specialized", "PATH": os.environ.get("PATH", "")}
            reload = await host.channel.reload_environment(env, APP, timeout=10)
            found = discover_v1_functions(APP)
            loads = await asyncio.gather(*(host.channel.load(fid, md, timeout=10) for fid, md in found))
            ids = {md.name: fid for fid, md in found}
            resp = await host.invoke(ids["EnvInfo"], {"req": http()})
            return reload, loads, resp

    reload, loads, resp = run(go())
    assert reload.result.status == SUCCESS, reload.result.exception.message
    assert reload.worker_metadata.runtime_name == "python"
    assert all(load.result.status == SUCCESS for load in loads), [load.result.exception.message for load in loads]
    assert resp.result.status == SUCCESS, failure_text(resp)
    info = json.loads(resp.return_value.http.body.bytes)
    assert info == {"new_setting": "specialized", "old_setting": None, "cwd": APP}


def test_async_functions_run_in_their_own_task_so_timeouts_cancel_only_them(worker):
    """asyncio.timeout() (and aiohttp's timers) cancel `current_task()`: it must be the invocation's."""
    function_id = worker.function_id("OwnTask")

    async def go():
        requests = [build_invocation(function_id, {"req": http("GET", "http://x/api/own")}) for _ in range(3)]
        responses = [await worker.channel.invoke(r, timeout=10) for r in requests]
        await worker.channel.status(timeout=5)  # the stream reader is still alive
        return responses

    responses = worker.run(go())
    assert [r.result.status for r in responses] == [SUCCESS] * 3
    assert [r.return_value.string for r in responses] == [
        f"own task: True; distinct tasks so far: {n}" for n in (1, 2, 3)
    ]
