"""What the local host's console says: request lines name the function, print() inside an
invocation is tagged with it, load and index errors appear once, --version."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest

import quickfunc
from tests.helpers import REPO_ROOT, app_path, write_app, write_v2_app
from tests.integration.hostproc import LocalHostProcess, host_env, run_host_command

_TAG = r"\(([0-9a-f]{8})\)"


@pytest.fixture(scope="module")
def host():
    # at Warning, function logs would be hidden: print() output is shown at every level
    with LocalHostProcess(app_path("host_console"), ["--log-level", "Warning"]) as running:
        yield running


def test_a_request_line_names_the_function_that_served_it(host):
    start = len(host.lines)
    assert host.get("/api/async_print?tag=line").status == 200
    assert host.get("/api/no_such_function").status == 404
    line = host.wait_for_line(r"GET /api/async_print ", start=start)
    assert line and re.search(r"GET /api/async_print 200 \d+\.\dms -> async_print$", line), line
    missing = host.wait_for_line(r"GET /api/no_such_function ", start=start)
    assert missing and re.search(r"GET /api/no_such_function 404 \d+\.\dms$", missing), missing


def _printed(host: LocalHostProcess, function: str, tag: str, texts: list[str]) -> set[str]:
    """The invocation ids (8 hex digits) of the lines ``function`` printed with ``tag``."""
    ids = set()
    for text in texts:
        line = host.wait_for_line(rf"\] {function} {_TAG} {re.escape(text)} {tag}$", timeout=20)
        assert line, f"{text!r} not shown tagged with {function}:\n{host.output()}"
        match = re.search(rf"\] {function} {_TAG} ", line)
        assert match
        ids.add(match.group(1))
    return ids


def test_print_in_a_sync_function_is_tagged_with_its_invocation(host):
    replies = {}

    def call(tag: str) -> None:
        replies[tag] = host.get(f"/api/sync_print?tag={tag}").status

    threads = [threading.Thread(target=call, args=(tag,)) for tag in ("s1", "s2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert replies == {"s1": 200, "s2": 200}
    texts = ["sync says", "in pieces", "sync to stderr", "from a thread", "without a newline"]
    first = _printed(host, "sync_print", "s1", texts)
    second = _printed(host, "sync_print", "s2", texts)
    # every line of one invocation carries its id, and the two run side by side stay apart
    assert len(first) == 1 and len(second) == 1 and first != second
    assert not host.count(r"\[worker \d.*sync says"), host.output()


def test_print_in_an_async_function_is_tagged_with_its_invocation(host):
    assert host.get("/api/async_print?tag=a1").status == 200
    assert len(_printed(host, "async_print", "a1", ["async says", "async after await"])) == 1


def test_print_outside_an_invocation_stays_a_worker_line(host):
    assert host.wait_for_line(r"\[worker 1, pid \d+\] console app: printed while importing")


_BROKEN = """\
    import azure.functions as func

    raise RuntimeError("console test: boom while importing")


    def main(req: func.HttpRequest) -> str:
        return "never"
"""
_GOOD = """\
    def main(req):
        return "good"
"""
_HTTP = '{"bindings": [{"authLevel": "anonymous", "type": "httpTrigger", "direction": "in", "name": "req"}, ' + (
    '{"type": "http", "direction": "out", "name": "$return"}]}'
)


def test_an_import_error_appears_once_with_two_worker_processes(tmp_path):
    app = write_app(
        tmp_path,
        {
            "host.json": '{"version": "2.0"}',
            "Broken/function.json": _HTTP,
            "Broken/__init__.py": _BROKEN,
            "Good/function.json": _HTTP,
            "Good/__init__.py": _GOOD,
        },
    )
    with LocalHostProcess(app, env={"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}) as running:
        assert len(running.worker_pids()) == 2
        assert running.get("/api/Good").text == "good"
        assert running.get("/api/Broken").status == 500
        shown = [line for line in running.lines if "boom while importing" in line]
        # the banner, beside the function; not again per worker process or as a pool event
        assert len(shown) == 1, running.output()
        assert re.match(r"\s+error: cannot load the Broken function \(Broken/__init__\.py\)", shown[0]), shown


def test_an_index_error_of_a_v2_app_appears_once(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import azure.functions as func

        app = func.FunctionApp()
        raise ValueError("console test: bad setting at import")
        """,
        {"host.json": '{"version": "2.0"}'},
    )
    result = run_host_command(app, env={"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}, timeout=60)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    # the start-up error (with the stack), not also the worker's log line of it
    assert out.count("raised ValueError while being imported") == 1, out
    assert "error: the worker could not index the app" in out


def test_the_host_and_the_command_print_the_version():
    expected = f"quickfunc {quickfunc.__version__}"
    for module in ("quickfunc.host", "quickfunc.command"):
        result = subprocess.run(
            [sys.executable, "-m", module, "--version"],
            cwd=REPO_ROOT,
            env=host_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (result.returncode, result.stdout.strip()) == (0, expected), (module, result)
