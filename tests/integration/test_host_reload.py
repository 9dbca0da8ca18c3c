"""Reload on change through the real local host over real HTTP: an edit is served by the new code
within 2 s (requests made meanwhile wait for it), in-flight requests finish on the old code, routes,
timers and queue triggers move, broken code leaves the old running, settings files are read again,
--no-watch, ignored folders, stopping mid-reload."""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
import time

import psutil
import pytest

from tests.integration.hostproc import LocalHostProcess, Reply

APP = """import logging
import os
import pathlib
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
TEXT = {text!r}


@app.route(route="text")
def text(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(TEXT)


@app.route(route="setting")
def setting(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(os.environ.get("GREETING", "(unset)"))


@app.route(route="slow")
def slow(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("slow started")
    release = pathlib.Path(__file__).parent / "release.txt"
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return func.HttpResponse("slow " + TEXT)
{extra}"""

ADDED = """

@app.route(route="added")
def added(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("a new function")
"""

#: the issue's target: the first request after saving is served by the new code within this
TARGET_SECONDS = 2.0
#: everything else waits generously (a loaded 2-core machine)
SLOW = 45.0


def write(path, text: str) -> None:
    """Save a file as editors do: write a temporary file beside it, then rename it into place."""
    temporary = f"{path}.saving"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def app_code(text: str, extra: str = "") -> str:
    return APP.format(text=text, extra=extra)


@pytest.fixture
def app(tmp_path):
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "host.json").write_text('{"version": "2.0"}')
    (folder / "local.settings.json").write_text(json.dumps({"Values": {"GREETING": "hello"}}))
    write(folder / "function_app.py", app_code("version 1"))
    return folder


def text_of(host: LocalHostProcess, path: str) -> Reply:
    return host.get(path, timeout=SLOW)


def wait_for_text(host: LocalHostProcess, path: str, expected: str, timeout: float) -> float:
    """Seconds until GET ``path`` answers 200 with ``expected`` (AssertionError after ``timeout``).
    Every answer on the way must be a 200 from the old code or the new: a reload loses nothing."""
    began = time.monotonic()
    seen = []
    for _ in range(100_000):
        reply = text_of(host, path)
        seen.append((reply.status, reply.text))
        assert reply.status == 200, f"{path} answered {reply.status} during a reload: {reply.text}"
        if reply.text == expected:
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            break
        time.sleep(0.01)
    raise AssertionError(f"{path} did not answer {expected!r} within {timeout}s; last {seen[-3:]}\n{host.output()}")


def test_an_edit_is_served_by_the_new_code_within_two_seconds(app):
    with LocalHostProcess(str(app)) as host:
        assert text_of(host, "/api/text").text == "version 1"
        latencies = []
        for n in (2, 3, 4):
            mark = len(host.lines)
            began = time.monotonic()
            write(app / "function_app.py", app_code(f"version {n}"))
            wait_for_text(host, "/api/text", f"version {n}", SLOW)
            latencies.append(time.monotonic() - began)
            assert host.wait_for_line(r"\] function_app\.py changed: reloading the app$", SLOW, mark)
            assert host.wait_for_line(r"Reloaded in \d", SLOW, mark)
        assert min(latencies) < TARGET_SECONDS, f"seconds from save to new code: {latencies}"
        assert sorted(latencies)[1] < TARGET_SECONDS, f"seconds from save to new code: {latencies}"
        assert host.proc is not None
        workers = psutil.Process(host.proc.pid).children()  # serving, and kept ready for the next save
        assert host.stop(timeout=SLOW) == 0
        _gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, host.output()


def test_requests_made_during_a_reload_are_answered_by_the_new_code(app):
    replies: list[Reply] = []
    with LocalHostProcess(str(app)) as host:
        mark = len(host.lines)
        write(app / "function_app.py", app_code("version 2", "\n\ntime.sleep(1)  # a slower import\n"))
        assert host.wait_for_line("changed: reloading the app", SLOW, mark)
        callers = [
            threading.Thread(target=lambda: replies.append(text_of(host, "/api/text")), daemon=True) for _ in range(3)
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(SLOW)
        assert [(r.status, r.text) for r in replies] == [(200, "version 2")] * 3, host.output()


def test_a_request_in_flight_during_a_reload_finishes_on_the_old_code(app):
    replies: list[Reply] = []
    with LocalHostProcess(str(app)) as host:
        caller = threading.Thread(target=lambda: replies.append(text_of(host, "/api/slow")), daemon=True)
        caller.start()
        assert host.wait_for_line("slow started", SLOW), host.output()
        mark = len(host.lines)
        write(app / "function_app.py", app_code("version 2"))
        assert host.wait_for_line(r"Reloaded in \d", SLOW, mark), host.output()
        assert text_of(host, "/api/text").text == "version 2"
        (app / "release.txt").write_text("go")
        caller.join(SLOW)
        assert [(r.status, r.text) for r in replies] == [(200, "slow version 1")], host.output()
        assert text_of(host, "/api/slow").text == "slow version 2"


def test_a_request_routed_before_a_reload_whose_body_comes_after_it_is_served(app):
    with LocalHostProcess(str(app)) as host:
        assert host.proc is not None
        old_workers = psutil.Process(host.proc.pid).children()
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=SLOW)
        try:
            conn.putrequest("POST", "/api/text")
            conn.putheader("Content-Length", "10")
            conn.endheaders()
            conn.send(b"12345")  # routed to the old code; its body is not all there yet
            mark = len(host.lines)
            write(app / "function_app.py", app_code("version 2"))
            assert host.wait_for_line(r"Reloaded in \d", SLOW, mark), host.output()
            _gone, alive = psutil.wait_procs(old_workers, timeout=SLOW)
            assert not alive, "the old workers were not stopped"
            conn.send(b"67890")
            reply = conn.getresponse()
            assert (reply.status, reply.read()) == (200, b"version 2"), host.output()
        finally:
            conn.close()


QUEUES = """

@app.route(route="enqueue")
@app.queue_output(arg_name="msg", queue_name="work", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(req.params.get("text", ""))
    return func.HttpResponse("enqueued")


@app.queue_trigger(arg_name="item", queue_name="work", connection="AzureWebJobsStorage")
def work(item: func.QueueMessage) -> None:
    logging.info("%s got %s", TEXT, item.get_body().decode())
"""


def test_queue_triggers_move_to_the_new_code(app):
    write(app / "function_app.py", app_code("version 1", QUEUES))
    with LocalHostProcess(str(app)) as host:
        assert text_of(host, "/api/enqueue?text=first").status == 200
        assert host.wait_for_line("version 1 got first", SLOW), host.output()
        mark = len(host.lines)
        write(app / "function_app.py", app_code("version 2", QUEUES))
        assert host.wait_for_line(r"Reloaded in \d", SLOW, mark), host.output()
        assert text_of(host, "/api/enqueue?text=second").status == 200
        assert host.wait_for_line("version 2 got second", SLOW), host.output()
        assert host.count("got second") == 1
        assert "Error" not in host.output()


def test_a_new_function_gets_its_route(app):
    with LocalHostProcess(str(app)) as host:
        assert text_of(host, "/api/added").status == 404
        write(app / "function_app.py", app_code("version 1", ADDED))
        wait_for_text(host, "/api/text", "version 1", SLOW)
        deadline = time.monotonic() + SLOW
        reply = text_of(host, "/api/added")
        while reply.status == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
            reply = text_of(host, "/api/added")
        assert (reply.status, reply.text) == (200, "a new function"), host.output()
        assert host.wait_for_line(r"added\s+http: \[all methods\] http://127\.0\.0\.1:\d+/api/added", SLOW)


def test_a_syntax_error_is_reported_with_its_line_the_old_code_serves_and_a_fix_recovers(app):
    with LocalHostProcess(str(app)) as host:
        broken = app_code("version 2", "\n\ndef broken(:\n    pass\n")
        line = broken.splitlines().index("def broken(:") + 1
        mark = len(host.lines)
        write(app / "function_app.py", broken)
        failed = host.wait_for_line("Reload failed", SLOW, mark)
        assert failed is not None, host.output()
        assert f"SyntaxError in function_app.py:{line}" in failed
        assert "the previous code keeps serving" in failed
        assert (text_of(host, "/api/text").status, text_of(host, "/api/text").text) == (200, "version 1")
        write(app / "function_app.py", app_code("version 3"))
        wait_for_text(host, "/api/text", "version 3", SLOW)
        assert host.count("Reload failed") == 1


def test_local_settings_values_reach_the_functions_after_a_reload(app):
    with LocalHostProcess(str(app)) as host:
        assert text_of(host, "/api/setting").text == "hello"
        write(app / "function_app.py", app_code("version 2"))  # a reload first: workers are kept ready
        wait_for_text(host, "/api/text", "version 2", SLOW)
        time.sleep(0.5)  # let the next workers start with the old settings: they must not be used
        mark = len(host.lines)
        write(app / "local.settings.json", json.dumps({"Values": {"GREETING": "bonjour"}}))
        wait_for_text(host, "/api/setting", "bonjour", SLOW)
        assert host.wait_for_line(r"\] local\.settings\.json changed: reloading the app$", SLOW, mark)
        write(app / "local.settings.json", '{"Values": {"GREETING": }}')  # broken: the app keeps its settings
        assert host.wait_for_line(r"local\.settings\.json, line 1.*keeps running with its previous settings", SLOW)
        assert text_of(host, "/api/setting").text == "bonjour"


def test_no_watch_keeps_the_old_code(app):
    with LocalHostProcess(str(app), args=["--no-watch"]) as host:
        write(app / "function_app.py", app_code("version 2"))
        time.sleep(3.0)  # what a reload takes, several times over: nothing may happen
        assert text_of(host, "/api/text").text == "version 1"
        assert host.count("changed: reloading") == 0


def test_the_store_caches_and_environments_do_not_cause_a_reload(app):
    with LocalHostProcess(str(app)) as host:
        for folder in (".quickfunc", "__pycache__", ".venv/lib", ".git", "node_modules", ".python_packages"):
            (app / folder).mkdir(parents=True, exist_ok=True)
            write(app / folder / "module.py", "X = 1\n")
            write(app / folder / "host.json", "{}")
        (app / "notes.txt").write_text("not code")
        write(app / "function_app.py", app_code("version 2"))
        wait_for_text(host, "/api/text", "version 2", SLOW)
        changed = [line for line in host.lines if "changed: reloading" in line]
        assert len(changed) == 1 and re.search(r"\] function_app\.py changed", changed[0]), changed


V1_SCRIPT = """import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse({text!r})
"""


def v1_binding(route: str) -> str:
    return json.dumps(
        {
            "scriptFile": "__init__.py",
            "bindings": [
                {"authLevel": "anonymous", "type": "httpTrigger", "direction": "in", "name": "req", "route": route},
                {"type": "http", "direction": "out", "name": "$return"},
            ],
        }
    )


def test_a_v1_app_reloads_its_scripts_and_function_json(tmp_path):
    app = tmp_path / "v1app"
    (app / "Hello").mkdir(parents=True)
    (app / "host.json").write_text('{"version": "2.0"}')
    write(app / "Hello" / "function.json", v1_binding("hello"))
    write(app / "Hello" / "__init__.py", V1_SCRIPT.format(text="v1 one"))
    with LocalHostProcess(str(app)) as host:
        assert text_of(host, "/api/hello").text == "v1 one"
        write(app / "Hello" / "__init__.py", V1_SCRIPT.format(text="v1 two"))
        wait_for_text(host, "/api/hello", "v1 two", SLOW)
        assert host.wait_for_line(r"\] Hello/__init__\.py changed: reloading the app$", SLOW)
        write(app / "Hello" / "function.json", v1_binding("greeting"))
        deadline = time.monotonic() + SLOW
        while text_of(host, "/api/greeting").status == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert text_of(host, "/api/greeting").text == "v1 two"
        assert text_of(host, "/api/hello").status == 404


def test_a_new_route_prefix_in_host_json_moves_the_routes(app):
    with LocalHostProcess(str(app)) as host:
        mark = len(host.lines)
        write(app / "host.json", json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "v2"}}}))
        deadline = time.monotonic() + SLOW
        while text_of(host, "/v2/text").status == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert text_of(host, "/v2/text").text == "version 1", host.output()
        assert text_of(host, "/api/text").status == 404
        assert host.wait_for_line(r"\] host\.json changed: reloading the app$", SLOW, mark)


def test_stopping_the_host_during_a_reload_leaves_no_worker_behind(app):
    with LocalHostProcess(str(app)) as host:
        assert host.proc is not None
        slow_import = app_code("version 2", "\n\ntime.sleep(30)  # a slow import: the reload is under way\n")
        mark = len(host.lines)
        write(app / "function_app.py", slow_import)
        assert host.wait_for_line("changed: reloading the app", SLOW, mark)
        deadline = time.monotonic() + SLOW
        workers = psutil.Process(host.proc.pid).children()
        while len(workers) < 2 and time.monotonic() < deadline:  # the old worker and the new one
            time.sleep(0.05)
            workers = psutil.Process(host.proc.pid).children()
        assert len(workers) == 2, workers
        assert host.stop(timeout=SLOW) == 0, host.output()
        _gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, host.output()
        assert "Reloaded" not in host.output()


def test_settings_saved_with_broken_code_apply_once_the_code_is_fixed(app):
    with LocalHostProcess(str(app)) as host:
        mark = len(host.lines)
        write(app / "local.settings.json", json.dumps({"Values": {"GREETING": "bonjour"}}))
        write(app / "function_app.py", app_code("version 2", "\n\ndef broken(:\n    pass\n"))
        assert host.wait_for_line("Reload failed", SLOW, mark), host.output()
        write(app / "function_app.py", app_code("version 3"))
        wait_for_text(host, "/api/text", "version 3", SLOW)
        assert text_of(host, "/api/setting").text == "bonjour"


TIMER = """

@app.timer_trigger(schedule="* * * * * *", arg_name="timer")
def tick(timer: func.TimerRequest) -> None:
    logging.info("tick %s", TEXT)
"""


def test_timers_move_to_the_new_code_and_the_old_ones_stop(app):
    write(app / "function_app.py", app_code("version 1", TIMER))
    with LocalHostProcess(str(app)) as host:
        assert host.wait_for_line("tick version 1", SLOW), host.output()
        mark = len(host.lines)
        write(app / "function_app.py", app_code("version 2", TIMER))
        assert host.wait_for_line(r"Reloaded in \d", SLOW, mark), host.output()
        first = host.wait_for_line("tick version 2", SLOW, mark)
        assert first is not None, host.output()
        old_ticks = host.count("tick version 1")
        start = host.lines.index(first) + 1
        for _ in range(2):  # two more seconds of ticks
            line = host.wait_for_line("tick version 2", SLOW, start)
            assert line is not None, host.output()
            start = host.lines.index(line, start) + 1
        assert host.count("tick version 1") == old_ticks, host.output()
