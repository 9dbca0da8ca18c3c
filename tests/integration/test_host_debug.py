"""The local host's --debug: workers under debugpy on 127.0.0.1 (one port each), a line breakpoint
and breakpoint() hit over DAP (what VS Code speaks), functionTimeout lifted, --debug-wait holding
the app until a debugger attaches, breakpoint() with no debugger, and a missing debugpy."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import threading

import psutil
import pytest

from tests.helpers import app_path, checkout_first
from tests.integration.dap import DapClient
from tests.integration.hostproc import LocalHostProcess, run_host_command

APP = app_path("host_debug")
SOURCE = os.path.join(APP, "function_app.py")


def _line_of(text: str) -> int:
    with open(SOURCE, encoding="utf-8") as file:
        return next(number for number, line in enumerate(file, 1) if text in line)


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports (checked by binding each)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return first
    raise AssertionError("no free consecutive loopback ports")


def _listening(pid: int) -> set[tuple[str, int]]:
    return {
        (c.laddr.ip, c.laddr.port) for c in psutil.Process(pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN
    }


@pytest.fixture(scope="module")
def two_debugged_workers():
    port = _free_ports(2)
    env = {"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}
    with LocalHostProcess(APP, args=["--debug", "--debug-port", str(port)], env=env) as running:
        yield running, port


def test_each_worker_listens_for_a_debugger_on_loopback_and_the_banner_says_where(two_debugged_workers):
    host, port = two_debugged_workers
    output = host.output()
    assert f"worker 1 on 127.0.0.1:{port}, worker 2 on 127.0.0.1:{port + 1}" in output
    assert 'attach from VS Code: "Attach to Python Functions"' in output
    assert "functionTimeout is lifted while debugging" in output
    pids = host.worker_pids()
    assert len(pids) == 2
    listening = [_listening(pid) for pid in pids]
    assert sorted(p for ports in listening for ip, p in ports if p in (port, port + 1)) == [port, port + 1]
    assert all(ip == "127.0.0.1" for ports in listening for ip, p in ports if p in (port, port + 1))
    for debug_port in (port, port + 1):  # a debugger can talk to each
        with DapClient(debug_port) as client:
            reply = client.request("initialize", clientID="quickfunc-tests", adapterID="debugpy")
            assert reply["success"] and reply["body"]["supportsConfigurationDoneRequest"]


def test_function_timeout_is_lifted_while_debugging(two_debugged_workers):
    host, _ = two_debugged_workers
    reply = host.get("/api/slow?sleep=1.6", timeout=30)  # host.json functionTimeout: 1 s
    assert (reply.status, reply.text) == (200, "slept")
    assert "functionTimeout" not in host.output().split("Listening on", 1)[1]


def test_a_line_breakpoint_and_breakpoint_stop_the_function_until_the_debugger_continues():
    port = _free_ports(1)
    with (
        LocalHostProcess(APP, args=["--debug-port", str(port)]) as host,
        DapClient(port) as client,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        line = _line_of('"hello from')
        client.attach({SOURCE: [line]})
        pending = pool.submit(host.get, "/api/hello", timeout=30)
        stop = client.stopped()
        assert (stop["frame"]["name"], stop["frame"]["line"], stop["reason"]) == ("hello", line, "breakpoint")
        assert os.path.samefile(stop["frame"]["source"]["path"], SOURCE)
        with pytest.raises(concurrent.futures.TimeoutError):  # held beyond functionTimeout (1 s)
            pending.result(timeout=1.5)
        client.resume(stop["thread"])
        assert pending.result(timeout=20).status == 200

        pending = pool.submit(host.get, "/api/stop", timeout=30)
        stop = client.stopped()  # breakpoint() in the function: debugpy's stop, on the line after it
        assert stop["frame"]["name"] == "stop_here"
        assert stop["frame"]["line"] in (_line_of("breakpoint()  #"), _line_of('"went on"'))
        client.resume(stop["thread"])
        reply = pending.result(timeout=20)
        assert (reply.status, reply.text) == (200, "went on")
        assert "no debugger is attached" not in host.output()


def test_debug_wait_holds_the_app_until_a_debugger_attaches():
    port = _free_ports(1)
    host = LocalHostProcess(APP, args=["--debug-wait", "--debug-port", str(port)])
    started = threading.Event()
    failure: list[BaseException] = []

    def start() -> None:
        try:
            host.start()
        except BaseException as exc:  # reported by the test below
            failure.append(exc)
        started.set()

    threading.Thread(target=start, daemon=True).start()
    try:
        waiting = host.wait_for_line("Debugger: waiting for VS Code", 30)
        assert waiting is not None, host.output()
        assert f"127.0.0.1:{port}" in waiting
        assert host.wait_for_line(r"Listening on|error", 2.0) is None  # the app has not started
        assert not started.is_set()
        with DapClient(port) as client:
            client.attach()
            assert started.wait(30), host.output()
            assert not failure, failure
            reply = host.get("/api/hello", timeout=30)
            assert reply.status == 200 and reply.text.startswith("hello from")
    finally:
        host.close()


def test_breakpoint_without_a_debugger_names_the_line_and_the_function_goes_on():
    with LocalHostProcess(APP) as host:
        reply = host.get("/api/stop", timeout=30)
        assert (reply.status, reply.text) == (200, "went on")
        line = _line_of("breakpoint()  #")
        shown = host.wait_for_line(r"breakpoint\(\) at", 10)
        assert shown is not None, host.output()
        assert f"breakpoint() at function_app.py:{line} in 'stop_here': no debugger is attached" in shown
        assert "--debug" in shown
        assert "BdbQuit" not in host.output()


def test_debug_without_debugpy_is_a_clear_start_up_error(tmp_path):
    hidden = tmp_path / "debugpy"
    hidden.mkdir()
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'debugpy'\")\n")
    # ahead of site-packages, after the code under test
    env = {"PYTHONPATH": checkout_first(os.pathsep.join([os.environ.get("PYTHONPATH", ""), str(tmp_path)]))}
    result = run_host_command(APP, "--debug", env=env, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "--debug needs debugpy" in output
    assert "-m pip install debugpy" in output


def test_a_restarted_worker_listens_for_the_debugger_again():
    port = _free_ports(1)
    with LocalHostProcess(APP, args=["--debug-port", str(port)]) as host:
        with DapClient(port) as client:
            client.attach()
            assert host.get("/api/crash", timeout=30).status == 500
        restarted = host.wait_for_line(r"started \(restart\)|restarting worker 1 failed", 30)
        assert restarted is not None and "started (restart)" in restarted, host.output()
        assert "exited with code 3" in host.output()  # no debug adapter process kept its output open
        with DapClient(port) as client:
            client.attach()
            reply = host.get("/api/hello", timeout=30)
            assert reply.status == 200
