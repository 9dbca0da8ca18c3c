"""Worker restarts of the local host: a dead worker is restarted with back-off for as long as it
takes (503 meanwhile, then service again), /admin/host/status tells the truth about it, and app
code that kills its worker at import (os._exit, KeyboardInterrupt) never takes the host down."""

from __future__ import annotations

import os
import re
import signal
import time

import psutil
import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

#: small back-off so that several failed attempts take about a second
FAST_RESTARTS = ["--restart-delay", "0.1", "--restart-max-delay", "0.4"]


def _host_traceback(host: LocalHostProcess) -> list[str]:
    """Tracebacks printed by the host itself (worker output is tagged with the worker)."""
    return [line for line in host.lines if line.startswith(("Traceback", "  File "))]


def _wait_status(host: LocalHostProcess, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = host.get("/admin/host/status").json()
        if predicate(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_worker_that_cannot_restart_is_retried_until_it_can_and_503_meanwhile(tmp_path):
    marker = tmp_path / "crash"
    env = {"CRASH_MARKER": str(marker)}
    with LocalHostProcess(app_path("host_crashy"), FAST_RESTARTS, env=env) as host:
        first = host.get("/api/ping")
        assert first.status == 200
        old_pid = first.json()["pid"]

        marker.write_text("exit")
        os.kill(old_pid, signal.SIGKILL)
        # more failed attempts than the old policy's five, each one said on the console, naming
        # the process that failed
        assert host.wait_for_line(
            r"restarting worker 1 failed \(attempt 6, pid (\d+)\): worker "
            r"process 1 \(pid \1\) exited with code 3 while loading the app's "
            r"functions \(importing function_app.py\); next attempt in "
            r"0.4s",
            30,
        ), host.output()
        reply = host.get("/api/ping")
        assert reply.status == 503, reply.text
        assert reply.text.startswith("Function host is not running: worker process 1 ")
        assert "exited with code 3" in reply.text and "next attempt in" in reply.text

        status = _wait_status(host, lambda s: s["workerProcesses"][0]["state"] == "WaitingToRestart")
        assert status["state"] == "Error" and status["workers"] == [], status
        (worker,) = status["workerProcesses"]
        assert worker["state"] == "WaitingToRestart" and worker["pid"] is None
        assert worker["restarts"] >= 6 and "exited with code 3" in worker["lastError"]
        assert "exited with code 3" in status["errors"][0]
        assert {"id", "version", "processUptime"} <= set(status)

        marker.unlink()
        assert host.wait_for_line(r"worker 1, pid \d+ started \(restart\)", 20), host.output()
        again = host.get("/api/ping")
        assert again.status == 200 and again.json()["pid"] != old_pid
        status = host.get("/admin/host/status").json()
        assert status["state"] == "Running" and "errors" not in status
        assert status["workers"] == [again.json()["pid"]]
        assert status["workerProcesses"][0]["state"] == "Running"
        assert _host_traceback(host) == []


def test_status_does_not_call_a_dead_worker_running(tmp_path):
    marker = tmp_path / "crash"
    args = ["--restart-delay", "30", "--restart-max-delay", "30"]
    with LocalHostProcess(app_path("host_crashy"), args, env={"CRASH_MARKER": str(marker)}) as host:
        pid = host.get("/api/ping").json()["pid"]
        marker.write_text("exit")
        os.kill(pid, signal.SIGKILL)
        # the first restart is at once and fails; the next one is 30 s away
        status = _wait_status(host, lambda s: s["workerProcesses"][0]["state"] == "WaitingToRestart")
        assert status["state"] == "Error", status
        assert pid not in status["workers"] and status["workerProcesses"][0]["pid"] is None
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        reply = host.get("/api/ping")
        assert reply.status == 503 and re.search(r"next attempt in (29|30)\.\ds", reply.text), reply.text


@pytest.mark.parametrize(
    "how, said",
    [
        ("exit", "exited with code 3"),
        ("interrupt", "was killed by SIGINT (what an unhandled KeyboardInterrupt does)"),
    ],
)
def test_a_v2_app_that_kills_its_worker_at_import_leaves_the_host_running(tmp_path, how, said):
    marker = tmp_path / "crash"
    marker.write_text(how)
    with LocalHostProcess(app_path("host_crashy"), FAST_RESTARTS, env={"CRASH_MARKER": str(marker)}) as host:
        assert host.wait_for_line(
            rf"worker process 1 \(pid \d+\) {re.escape(said)} while "
            r"indexing the app \(importing function_app.py\). The app "
            r"is not running; the host tries again in",
            5,
        ), host.output()
        assert host.wait_for_line(r"\(attempt 3\)", 20), host.output()
        reply = host.get("/api/ping")
        assert reply.status == 503 and "function_app.py" in reply.text, reply.text
        status = host.get("/admin/host/status").json()
        assert status["state"] in ("Error", "Starting") and status["workers"] == []
        assert host.proc is not None and host.proc.poll() is None

        marker.unlink()
        assert host.wait_for_line(r"The app started \(attempt \d+\)", 20), host.output()
        assert host.wait_for_line(r"ping +http: \[all methods\] http://127", 5), host.output()
        assert host.get("/api/ping").status == 200
        assert host.get("/admin/host/status").json()["state"] == "Running"
        assert _host_traceback(host) == [], host.output()
    assert host.proc is not None and host.proc.returncode == 0


def test_v1_functions_that_kill_the_worker_at_import_are_left_out_and_the_rest_serve():
    with LocalHostProcess(app_path("host_v1_killers"), FAST_RESTARTS) as host:
        assert host.get("/api/Good").text.startswith("good from ")
        for name, said in (("ExitsAtImport", "exited with code 3"), ("InterruptsAtImport", "was killed by SIGINT")):
            assert host.wait_for_line(
                f"worker process 1 \\(pid \\d+\\) {said}.* while loading function {name} "
                f"\\({name}/__init__.py\\); {name} is left out and the worker is started again "
                "without it",
                1,
            ), host.output()
            reply = host.get(f"/api/{name}")
            assert reply.status == 500, reply.text
            assert f"Function {name} cannot run: the worker process {said}" in reply.text
        status = host.get("/admin/host/status").json()
        assert status["state"] == "Running" and len(status["workers"]) == 1
        assert _host_traceback(host) == [], host.output()
        assert host.get("/api/Good").status == 200
