"""The hostile soak's checks can fail: wrong answers, unasked worker deaths, functions run twice,
answers without a run, and slow clients the server never cuts are all caught."""

from __future__ import annotations

import asyncio
import collections
import os
import random
import sys

import pytest

from tests.helpers import REPO_ROOT

SCRIPTS = os.path.join(REPO_ROOT, "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

from hostile_console import scan_console, unexplained_ends  # noqa: E402
from hostile_load import (  # noqa: E402
    EXPECTED,
    WORKER_LOST,
    WRONG,
    Load,
    LoadOptions,
    Result,
    judge,
    plan,
    slow_client,
)
from soak_hostile import Report, check_runs  # noqa: E402

OPTIONS = LoadOptions(
    requests=10, concurrency=1, request_timeout=5.0, seed=1, spin_every=0, burst_every=0, burst_lines=3
)


def _planned(kind: str):
    planned = plan(0, random.Random(0), OPTIONS)
    planned.kind = kind
    return planned


def test_plan_puts_spins_and_bursts_on_their_schedule_and_ids_are_unique():
    options = LoadOptions(
        requests=100, concurrency=1, request_timeout=5.0, seed=1, spin_every=50, burst_every=10, burst_lines=3
    )
    rng = random.Random(1)
    planned = [plan(i, rng, options) for i in range(100)]
    assert [p.index for p in planned if p.kind == "spin"] == [25, 75]
    assert [p.index for p in planned if p.kind == "burst"] == list(range(3, 100, 10))
    assert len({p.rid for p in planned}) == 100
    surrogate = next(p for p in planned if p.kind == "surrogate")
    assert b'"name": "\\ud800"' in surrogate.body


@pytest.mark.parametrize(
    "kind, status, body, verdict",
    [
        ("echo_sync", 200, "{rid}", EXPECTED),
        ("echo_async", 200, "r9-other", WRONG),  # someone else's answer
        ("echo_sync", 500, "Function echo_sync failed: boom", WRONG),
        ("burst", 200, "logged 3 {rid}", EXPECTED),
        ("burst", 200, "logged 2 {rid}", WRONG),
        (
            "surrogate",
            500,
            "Function surrogate failed (invocation x): ValueError: unknown user \\ud800 (request {rid})",
            EXPECTED,
        ),
        (
            "surrogate",
            500,
            "Function surrogate failed (invocation x): the function did not finish "
            "within 4s (host.json functionTimeout); worker 1, pid 7 was restarted",
            WRONG,
        ),
        ("bad_str", 500, "Function bad_str failed: UnprintableError: <no text>", EXPECTED),
        ("bad_str", 200, "", WRONG),
        ("cyclic", 500, "ValueError: cyclic cause (request {rid})", EXPECTED),
        ("spin", 500, "the function did not finish within 4s (host.json functionTimeout)", EXPECTED),
        ("spin", 200, "spun 5 times", WRONG),
        # the soak killed pid 42: any kind may get this
        (
            "echo_sync",
            500,
            "worker process 1 (pid 42) was killed by SIGKILL while running this invocation",
            WORKER_LOST,
        ),
        # a worker nobody killed
        ("echo_sync", 500, "worker process 1 (pid 43) exited with code 1 while running this invocation", WRONG),
        # the host recycled the worker for another invocation's timeout
        (
            "cyclic",
            500,
            "worker process 2 (pid 44) was restarted because invocation y did not "
            "finish within 4s (functionTimeout) while running this invocation",
            WORKER_LOST,
        ),
    ],
)
def test_judge(kind, status, body, verdict):
    planned = _planned(kind)
    got, problem = judge(planned, status, body.replace("{rid}", planned.rid), 3, {42})
    assert got == verdict, problem
    assert bool(problem) == (verdict == WRONG)


def test_check_runs_counts_duplicates_unknown_ids_and_answers_without_a_run():
    load = Load.__new__(Load)
    load.results = {
        "a": Result("echo_sync", 200, EXPECTED),
        "b": Result("echo_sync", 200, EXPECTED),
        "c": Result("surrogate", 500, EXPECTED),
        "d": Result("echo_async", None, "lost"),
    }
    report = Report(requests_planned=4, concurrency=1)
    check_runs(report, load, collections.Counter({"a": 1, "c": 2, "zz": 1}))
    assert report.duplicated == 1 and "c ran 2 times" in report.problems["duplicated"][0]
    assert report.ran_unknown_id == 1
    assert report.answered_200_without_run == 1  # b
    assert report.runs_recorded == 4
    assert not report.ok


async def _server(close_after: float | None) -> asyncio.base_events.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if close_after is None:
            await reader.read()  # until the client goes
        else:
            await asyncio.sleep(close_after)
            writer.write(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize("close_after, cut", [(0.3, True), (None, False)])
def test_slow_client_tells_a_cut_from_a_connection_left_open(close_after, cut):
    async def scenario():
        server = await _server(close_after)
        port = server.sockets[0].getsockname()[1]
        try:
            return await slow_client("127.0.0.1", port, drip_every=0.1, limit=1.5)
        finally:
            server.close()
            await server.wait_closed()

    result = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert result.cut is cut, result
    assert result.seconds < 1.2 if cut else result.seconds >= 1.5
    if cut:
        assert "408" in result.how


RECYCLED = "was restarted because invocation 5ac3 did not finish within 4s (functionTimeout)"
CONSOLE = [
    f"[01:15:50] worker process 2 (pid 10) {RECYCLED}; restarting it now",
    f"[01:15:50] echo_sync (3bf5) failed: worker process 2 (pid 10) {RECYCLED} while running this invocation",
    "[01:15:50] echo_async (6d71) failed: worker process 1 (pid 20) exited with code 1 while running this invocation",
    "[01:15:51] worker 2, pid 11 started (restart)",
    "[01:16:00] worker process 1 (pid 21) was killed by SIGKILL; restarting it now",
    "[01:16:00] restarting worker 1 failed (attempt 1, pid 22): the worker process (pid 22) was killed by SIGKILL "
    "before connecting. Its last output:",
    "[01:16:01] restarting worker 1 failed (attempt 2, pid 23): the worker process (pid 23) exited with code 1 "
    "before connecting. Its last output:",
    "Traceback (most recent call last):",
    "ModuleNotFoundError: No module named 'quickfunc.launch'",
    "[01:16:03] worker process 2 (pid 11) exited with code 1; restarting it in 1s",
    "[01:16:04] restarting worker 2 failed (attempt 2): could not start the worker with /no/python: No such file "
    "or directory; next attempt in 2s",
    "[01:16:05] burst (9f3e) burst r7-0a1b2c3d 0",
    "[01:16:05] burst (9f3e) burst r7-0a1b2c3d 1",
    "[01:16:05] burst (9f3e) burst r8-0a1b2c3d 0",
]


def test_every_worker_end_is_matched_by_pid_to_a_kill_or_a_recycle_or_named():
    scan = scan_console([line + "\n" for line in CONSOLE], ok_bursts={"r7-0a1b2c3d"})
    assert scan.burst_lines_shown == 2
    assert scan.recycled == {10}
    # an invocation's 500 naming its dead worker is not an end of its own (pid 20 ended nowhere)
    assert set(scan.ends) == {10, 21, 22, 23, 11}
    # the soak killed 21 and 22 (22 while it was starting); 30 vanished with no word from the host
    found = unexplained_ends(scan, vanished=[10, 21, 11, 30], killed={21, 22})
    assert found == [
        "[01:16:03] worker process 2 (pid 11) exited with code 1; restarting it in 1s",
        CONSOLE[6],
        "worker process pid 30 vanished, and the host console says nothing about it",
        CONSOLE[10],
    ]


def test_functiontimeouts_do_not_excuse_a_death_they_did_not_cause():
    # several invocations timed out together on one worker (one recycle), and another worker
    # died on its own: counting the timeouts against the vanished processes would hide it
    console = [
        "[01:31:55] worker process 1 (pid 40) was restarted because invocation 2d2f did not finish "
        "within 4s (functionTimeout); restarting it now\n",
        "[01:31:56] worker process 2 (pid 41) stopped answering; restarting it now\n",
    ]
    found = unexplained_ends(scan_console(console, set()), vanished=[40, 41], killed=set())
    assert found == ["[01:31:56] worker process 2 (pid 41) stopped answering; restarting it now"]
