"""Blocked loop and blocked imports, reported while they last (issue 11.7 and 11.10, issue 14.4).

An ``async def`` function blocking the loop is reported on stderr (the path that does not need the
loop) while it lasts and again every interval; a module stuck at import is named with its line
while the other functions load and run, and fails at the load timeout; a v2 app stuck at import is
reported while the metadata request waits; import-time blocking on the loop is told apart from an
async def.

Apps ``tests/apps/faults``, ``stuck_import`` and ``v2_stuck_import``; the last two block at import
until the test creates the file named by ``QUICKFUNC_TEST_RELEASE_FILE`` (20 s at most).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.driver import wait_logs
from tests.helpers import FAILURE, LEVEL, SUCCESS, SYSTEM, app_path, failure_text, http, run
from tests.integration.fakehost import FakeHost, start_worker

FAULTS = app_path("faults")
STUCK = app_path("stuck_import")
V2_STUCK = app_path("v2_stuck_import")
RELEASE = "QUICKFUNC_TEST_RELEASE_FILE"
PREFIX = "LanguageWorkerConsoleLog WARNING: "
#: where the test apps wait (the one line of their wait loop)
GATE_LINE = "gate.py:14"
UTILS_LINE = "utils.py:12"


def _stderr(host: FakeHost, text: str) -> list[str]:
    """The worker's console warnings on stderr that contain ``text``."""
    return [
        line.text
        for line in host.output
        if line.stream == "stderr" and line.text.startswith(PREFIX) and text in line.text
    ]


async def _until(probe: Callable[[], list], done: Callable[[list], bool], timeout: float) -> list:
    """Poll ``probe()`` until ``done`` holds for its result or time is up; the last result."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = probe()
        if done(found) or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.02)


def _seconds(text: str) -> float:
    """The first "<n> s" figure of a report."""
    match = re.search(r"(\d+(?:\.\d+)?) s\b", text)
    assert match, text
    return float(match.group(1))


# ---- an async def function blocking the loop -----------------------------------------------------


def test_async_function_blocking_the_loop_is_reported_on_stderr_while_it_lasts_and_repeats():
    env = {"PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "1"}

    async def go():
        async with start_worker(FAULTS, env=env) as host:
            loads = await host.load_v1_app()
            request = build_invocation(loads["BlockLoop"][0], {"req": http("GET", "http://x/api/block?seconds=4")})
            pending = asyncio.ensure_future(host.channel.invoke(request, timeout=20))
            lines = await _until(
                lambda: _stderr(host, "blocked the event loop"),
                lambda found: len(found) >= 2 or pending.done(),
                15,
            )
            still_blocked = not pending.done()
            response = await pending
            logs = await wait_logs(
                host.channel,
                lambda ls: any("blocked the event loop" in rec.message for rec in ls),
                None,
                5,
            )
            return request.invocation_id, lines, still_blocked, response, logs

    invocation_id, lines, still_blocked, response, logs = run(go())
    assert len(lines) >= 2, lines
    assert still_blocked  # both reports left while the loop was blocked
    for line in lines:
        assert "function 'BlockLoop'" in line and invocation_id in line, line
        assert "BlockLoop/__init__.py:8" in line and "so far" in line, line
        assert "asyncio.to_thread" in line and "import" not in line.split(";")[0], line
    assert _seconds(lines[1]) > _seconds(lines[0])  # repeated, with the time so far
    assert response.result.status == SUCCESS, failure_text(response)
    # once the loop is free, the host also gets one RpcLog warning with the whole duration
    warnings = [rec for rec in logs if "blocked the event loop" in rec.message]
    assert len(warnings) == 1, [rec.message for rec in warnings]
    warning = warnings[0]
    assert warning.level == LEVEL("Warning") and warning.log_category == SYSTEM
    assert warning.invocation_id == invocation_id
    assert "function 'BlockLoop'" in warning.message and "BlockLoop/__init__.py:8" in warning.message
    assert 3.0 <= _seconds(warning.message) < 10, warning.message
    assert "responsive again" in warning.message


# ---- a v1 function module stuck at import --------------------------------------------------------


def _v1_requests() -> dict[str, pb.FunctionLoadRequest]:
    return {md.name: pb.FunctionLoadRequest(function_id=fid, metadata=md) for fid, md in discover_v1_functions(STUCK)}


def test_module_stuck_at_import_is_named_while_the_other_functions_load_and_run(tmp_path):
    release = tmp_path / "release"
    env = {
        RELEASE: str(release),
        "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "5",
        "PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "1",
    }
    requests = _v1_requests()
    stuck, hello = requests["StuckAtImport"], requests["Hello"]

    async def go():
        async with start_worker(STUCK, env=env) as host:
            try:
                pending = asyncio.ensure_future(host.channel.load(stuck.function_id, stuck.metadata, timeout=30))
                loaded = await host.channel.load(hello.function_id, hello.metadata, timeout=4)
                invoked = await host.invoke(hello.function_id, {"req": http()}, timeout=4)
                still_importing = not pending.done()
                reports = await wait_logs(
                    host.channel,
                    lambda ls: any("importing StuckAtImport/__init__.py" in rec.message for rec in ls),
                    None,
                    5,
                )
                failed = await pending  # at the load timeout
            finally:
                release.touch()
            return loaded, invoked, still_importing, reports, failed

    loaded, invoked, still_importing, logs, failed = run(go())
    assert loaded.result.status == SUCCESS, loaded.result.exception.message
    assert invoked.result.status == SUCCESS and invoked.return_value.string == "hello"
    assert still_importing
    reports = [rec for rec in logs if "importing StuckAtImport/__init__.py" in rec.message]
    assert reports and reports[0].level == LEVEL("Warning") and reports[0].log_category == SYSTEM
    assert "function 'StuckAtImport'" in reports[0].message
    assert GATE_LINE in reports[0].message and "so far" in reports[0].message, reports[0].message
    assert failed.result.status == FAILURE
    message = failed.result.exception.message
    assert "StuckAtImport" in message and "StuckAtImport/__init__.py" in message, message
    assert GATE_LINE in message and "5 s" in message, message
    assert "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS" in message, message
    assert "gate.py" in failed.result.exception.stack_trace


def test_load_collection_answers_each_function_as_soon_as_it_is_loaded(tmp_path):
    """With SupportsLoadResponseCollection the host takes several collection messages (one per
    function), so a module stuck at import does not hold up the answers for the others."""
    release = tmp_path / "release"
    env = {RELEASE: str(release), "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "4"}
    requests = _v1_requests()
    stuck, hello = requests["StuckAtImport"], requests["Hello"]

    def answers(host: FakeHost) -> list[pb.FunctionLoadResponse]:
        return [
            r
            for m in host.channel.unexpected
            if m.WhichOneof("content") == "function_load_response_collection"
            for r in m.function_load_response_collection.function_load_responses
        ]

    async def go():
        async with start_worker(STUCK, env=env) as host:
            try:
                await host.channel.send(
                    pb.StreamingMessage(
                        function_load_request_collection=pb.FunctionLoadRequestCollection(
                            function_load_requests=[stuck, hello]
                        )
                    )
                )
                first = await _until(lambda: answers(host), bool, 3.5)
                invoked = await host.invoke(hello.function_id, {"req": http()}, timeout=4)
                both = await _until(lambda: answers(host), lambda found: len(found) >= 2, 10)
            finally:
                release.touch()
            return first, invoked, both

    first, invoked, both = run(go())
    assert [r.function_id for r in first] == [hello.function_id]
    assert first[0].result.status == SUCCESS
    assert invoked.result.status == SUCCESS, failure_text(invoked)
    assert [r.function_id for r in both] == [hello.function_id, stuck.function_id]
    assert both[1].result.status == FAILURE
    assert GATE_LINE in both[1].result.exception.message


# ---- a v2 app stuck at import --------------------------------------------------------------------


def test_v2_app_stuck_at_import_is_reported_while_the_metadata_request_waits(tmp_path):
    release = tmp_path / "release"
    env = {RELEASE: str(release), "PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "1"}

    def reports(logs):
        return [rec for rec in logs if "importing function_app.py" in rec.message]

    async def go():
        async with start_worker(V2_STUCK, env=env) as host:
            try:
                pending = asyncio.ensure_future(host.channel.functions_metadata(V2_STUCK, timeout=30))
                logs = await wait_logs(host.channel, lambda ls: len(reports(ls)) >= 2, None, 10)
                waiting = not pending.done()
                await host.channel.status(timeout=2)  # the loop is free meanwhile
            finally:
                release.touch()
            return reports(logs), waiting, await pending

    found, waiting, response = run(go())
    assert len(found) >= 2 and waiting, [rec.message for rec in found]
    for log in found:
        assert log.level == LEVEL("Warning") and log.log_category == SYSTEM
        assert UTILS_LINE in log.message and "so far" in log.message, log.message
    assert _seconds(found[1].message) > _seconds(found[0].message)
    assert response.result.status == SUCCESS, response.result.exception.message
    assert [f.name for f in response.function_metadata_results] == ["hello"]


def test_v2_app_stuck_at_import_fails_indexing_at_the_load_timeout_naming_the_line(tmp_path):
    release = tmp_path / "release"
    env = {RELEASE: str(release), "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "3"}

    async def go():
        async with start_worker(V2_STUCK, env=env) as host:
            try:
                return await host.channel.functions_metadata(V2_STUCK, timeout=10)
            finally:
                release.touch()

    response = run(go())
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "function_app.py" in message and UTILS_LINE in message and "3 s" in message, message
    assert "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS" in message, message


def test_import_blocking_the_loop_at_init_is_told_apart_from_an_async_function(tmp_path):
    """PYTHON_ENABLE_INIT_INDEXING imports the app on the loop during init: the report on stderr
    says what is being imported and where, not that an async def blocks the loop."""
    release = tmp_path / "release"
    env = {
        RELEASE: str(release),
        "PYTHON_ENABLE_INIT_INDEXING": "1",
        "PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "1",
    }

    async def go():
        async with start_worker(V2_STUCK, env=env, init=False) as host:
            try:
                init = asyncio.ensure_future(host.channel.init(V2_STUCK, timeout=30))
                lines = await _until(
                    lambda: _stderr(host, "importing function_app.py"),
                    lambda found: bool(found) or init.done(),
                    10,
                )
                waiting = not init.done()
            finally:
                release.touch()
            return lines, waiting, await init

    lines, waiting, response = run(go())
    assert lines and waiting, lines
    assert UTILS_LINE in lines[0] and "blocked the event loop" in lines[0], lines[0]
    assert "function '" not in lines[0] and "async def" not in lines[0], lines[0]
    assert response.result.status == SUCCESS
