"""User logging from v1 functions arrives as RpcLog with the invocation id (protocol §9).

App ``tests/apps/v1_logging``; one worker with PYTHON_ENABLE_DEBUG_LOGGING=1 for the module.
"""

from __future__ import annotations

import asyncio

import pytest

from quickfunc.host.request_builders import build_invocation
from tests.helpers import LEVEL, SUCCESS, SYSTEM, USER, app_path, failure_text, http

APP = app_path("v1_logging")


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP, env={"PYTHON_ENABLE_DEBUG_LOGGING": "1"})


def _invoke_and_logs(worker, name: str, expected: int, url: str = "http://x/api/f"):
    resp = worker.invoke(name, {"req": http("GET", url)})
    assert resp.result.status == SUCCESS, failure_text(resp)
    user = lambda logs: [log for log in logs if log.log_category == USER]  # noqa: E731
    logs = worker.wait_for_logs(lambda ls: len(user(ls)) >= expected, resp.invocation_id)
    return resp, user(logs)


def _by_message(logs):
    return {log.message.splitlines()[0]: log for log in logs}


def test_each_logging_level_maps_to_rpclog_level_with_invocation_id_and_user_category(worker):
    resp, logs = _invoke_and_logs(worker, "LogLevels", 6)
    found = _by_message(logs)
    expected = {
        "debug message": "Debug",
        "info message": "Information",
        "warning message": "Warning",
        "error message": "Error",
        "critical message": "Critical",
        "exception message": "Error",
    }
    assert {m: found[m].level for m in expected if m in found} == {m: LEVEL(level) for m, level in expected.items()}
    for message in expected:
        log = found[message]
        assert log.invocation_id == resp.invocation_id
        assert log.category == "root"
        assert log.log_category == USER


def test_logging_exception_carries_the_traceback_text(worker):
    _, logs = _invoke_and_logs(worker, "LogLevels", 6)
    exc_log = _by_message(logs)["exception message"]
    assert "Traceback (most recent call last):" in exc_log.message
    assert "1 / 0" in exc_log.message
    assert exc_log.message.rstrip().endswith("ZeroDivisionError: division by zero")


def test_debug_logs_are_dropped_without_the_debug_setting(live_worker_factory):
    quiet = live_worker_factory(APP)
    resp = quiet.invoke("LogLevels", {"req": http()})
    assert resp.result.status == SUCCESS, failure_text(resp)
    logs = quiet.wait_for_logs(
        lambda ls: any(log.message.startswith("exception message") for log in ls), resp.invocation_id
    )
    messages = [log.message.splitlines()[0] for log in logs]
    assert "info message" in messages and "exception message" in messages
    assert "debug message" not in messages


def test_named_logger_category_is_the_logger_name(worker):
    resp, logs = _invoke_and_logs(worker, "NamedLogger", 2, "http://x/api/n?order=77")
    found = _by_message(logs)
    assert found["order 77 received"].category == "contoso.orders"
    assert found["order 77 received"].level == LEVEL("Information")
    assert found["stock is low"].level == LEVEL("Warning")
    assert all(log.invocation_id == resp.invocation_id and log.log_category == USER for log in found.values())


def test_logs_from_sync_function_and_a_thread_it_starts_carry_the_invocation_id(worker):
    resp, logs = _invoke_and_logs(worker, "SyncThreads", 2)
    assert resp.return_value.string == "user-thread"
    messages = [log.message for log in logs]
    assert any(m.startswith("log from the sync function in sync-function") for m in messages), (
        messages
    )  # it ran in the executor, not on the loop
    assert "log from a user thread" in messages
    assert all(log.invocation_id == resp.invocation_id for log in logs)


def test_logs_from_asyncio_tasks_and_threads_of_concurrent_invocations_keep_their_own_ids(worker):
    function_id = worker.function_id("AsyncTasks")

    async def go():
        requests = [build_invocation(function_id, {"req": http()}) for _ in range(5)]
        return await asyncio.gather(*(worker.channel.invoke(r, timeout=15) for r in requests))

    responses = worker.run(go())
    expected = {
        "log from the async function",
        "log from asyncio task 1",
        "log from asyncio task 2",
        "log from a thread started by an async function",
    }
    for resp in responses:
        assert resp.result.status == SUCCESS, failure_text(resp)
        logs = worker.wait_for_logs(lambda ls: len(ls) >= 4, resp.invocation_id)
        user = [log for log in logs if log.log_category == USER]
        assert sorted(log.message for log in user) == sorted(expected)
        thread_log = next(log for log in user if "thread" in log.message)
        assert thread_log.category == "contoso.threads"


def test_worker_own_logs_are_system(worker):
    logs = worker.wait_for_logs(lambda ls: any(log.category == "quickfunc" for log in ls))
    own = [log for log in logs if log.category == "quickfunc" or log.category.startswith("quickfunc.")]
    assert own, "the worker sent no logs of its own at all"
    assert {log.log_category for log in own} == {SYSTEM}
    assert any("LogLevels" in log.message for log in own)  # e.g. its load report
    assert not any(log.log_category == SYSTEM for log in logs if log.category in ("root", "contoso.orders"))
