"""Worker processes behind the local host: FUNCTIONS_WORKER_PROCESS_COUNT, spreading work,
a worker killed mid-request, and a graceful stop on SIGINT/SIGTERM."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import time

import psutil
import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, Reply

SPIN = 500_000  # loop iterations of the CPU-bound function (some tens of ms of pure Python)
REQUESTS = 16


def _parallel(host: LocalHostProcess, path: str, count: int) -> tuple[list[Reply], float]:
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        replies = list(pool.map(lambda _: host.get(path, timeout=60), range(count)))
    return replies, time.perf_counter() - start


@pytest.fixture(scope="module")
def four_workers():
    with LocalHostProcess(app_path("host_v2"), env={"FUNCTIONS_WORKER_PROCESS_COUNT": "4"}) as running:
        yield running


def test_four_workers_start_and_four_distinct_pids_answer(four_workers):
    pids = four_workers.worker_pids()
    assert len(set(pids)) == 4
    assert "Workers: 4 (pid " in four_workers.output()
    replies, _ = _parallel(four_workers, "/api/work?sleep=0.4", 8)
    assert all(r.status == 200 for r in replies)
    assert {r.json()["pid"] for r in replies} == set(pids)


def test_cpu_bound_requests_run_at_the_same_time_in_different_workers(four_workers):
    """Spreading, not speed (speed is scripts/bench.py's job): concurrent CPU-bound requests
    go to several worker processes, and requests in different processes overlap in time."""
    replies, _ = _parallel(four_workers, f"/api/work?spin={SPIN}", REQUESTS)
    assert all(r.status == 200 for r in replies)
    runs = [r.json() for r in replies]
    assert len({run["pid"] for run in runs}) >= 2, runs
    overlapping = [
        (a, b) for a in runs for b in runs if a["pid"] != b["pid"] and a["start"] < b["end"] and b["start"] < a["end"]
    ]
    assert overlapping, runs


def test_a_worker_killed_mid_request_gives_500_then_it_is_restarted():
    with LocalHostProcess(app_path("host_v2")) as host:
        (pid,) = host.worker_pids()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(host.get, "/api/work?sleep=30", timeout=30)
            time.sleep(0.5)  # the invocation is running in the worker now
            started = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            reply = pending.result(timeout=15)
        assert reply.status == 500
        assert time.perf_counter() - started < 10
        assert f"pid {pid}" in reply.text and "SIGKILL" in reply.text, reply.text
        assert host.wait_for_line(
            r"worker process 1 \(pid \d+\) was killed by SIGKILL; "
            r"restarting it"
        )
        assert host.wait_for_line(r"worker 1, pid \d+ started \(restart\)", 30), host.output()
        new_pids = host.worker_pids()
        assert len(new_pids) == 1 and new_pids[0] != pid
        assert host.get("/api/hello/again").json()["greeting"] == "Hello, again!"


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_signal_drains_in_flight_requests_then_terminates_the_workers(how):
    host = LocalHostProcess(app_path("host_v2"), env={"FUNCTIONS_WORKER_PROCESS_COUNT": "2"})
    with host:
        assert host.proc is not None
        pids = host.worker_pids()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(host.get, f"/api/work?sleep={s}", timeout=30) for s in (1.0, 1.5)]
            time.sleep(0.4)
            if how == "ctrl-c":
                host.press_ctrl_c()  # the workers must not get it: they run in their own group
            else:
                host.proc.send_signal(signal.SIGTERM)
            replies = [p.result(timeout=20) for p in pending]
        assert [r.status for r in replies] == [200, 200]
        assert host.proc.wait(20) == 0
        assert host.wait_for_line("Stopping: waiting for 2 running invocation", 1)
        assert host.wait_for_line("Stopped: workers terminated", 1)
        for pid in pids:
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
