"""User and worker logging as RpcLog: the invocation id follows the invocation into tasks, pool
threads, user threads and executors; Python levels map to RpcLog levels; categories tell the
user's logs from the worker's; texts protobuf cannot carry or the host cannot take are made fit."""

from __future__ import annotations

import logging
import shutil
import threading

import pytest

from quickfunc import logs
from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import LEVEL, SUCCESS, SYSTEM, USER, app_path, http, write_v1_function

EXTRA = {
    "Executor": """
        import concurrent.futures, logging

        def main(req):
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(logging.info, 'log from an executor job').result()
            return 'ok'
    """,
    "Platform": """
        import logging

        def main(req):
            logging.getLogger('azure.functions.something').warning('from the library')
            return 'ok'
    """,
    "Surrogate": """
        import logging, os

        def main(req):
            logging.info('cannot open %s', os.fsdecode(b'report-\\xff.csv'))
            return 'ok'
    """,
}


@pytest.fixture(scope="module")
def worker(module_worker_harness, tmp_path_factory):
    app = tmp_path_factory.mktemp("logs") / "app"
    shutil.copytree(app_path("v1_logging"), app)
    for name, code in EXTRA.items():
        write_v1_function(app, name, code)
    worker = module_worker_harness(str(app), env={"PYTHON_ENABLE_DEBUG_LOGGING": "1"})
    worker.load_v1_app()
    return worker


def _user_logs(worker, name: str, expected: int) -> tuple[str, list[pb.RpcLog]]:
    response = worker.invoke(name, {"req": http()})
    assert response.result.status == SUCCESS, response.result.exception.message

    def user(found: list[pb.RpcLog]) -> list[pb.RpcLog]:
        return [log for log in found if log.log_category == USER]

    found = worker.wait_for_logs(lambda ls: len(user(ls)) >= expected, response.invocation_id)
    return response.invocation_id, user(found)


def test_python_levels_become_rpclog_levels(worker):
    _, found = _user_logs(worker, "LogLevels", 6)
    levels = {log.message.splitlines()[0]: log.level for log in found}
    assert levels == {
        "debug message": LEVEL("Debug"),
        "info message": LEVEL("Information"),
        "warning message": LEVEL("Warning"),
        "error message": LEVEL("Error"),
        "critical message": LEVEL("Critical"),
        "exception message": LEVEL("Error"),
    }


def test_logging_exception_sends_the_traceback(worker):
    _, found = _user_logs(worker, "LogLevels", 6)
    (exception,) = [log for log in found if log.message.startswith("exception message")]
    assert "Traceback (most recent call last):" in exception.message
    assert "ZeroDivisionError" in exception.message


def test_user_logs_carry_the_invocation_id_and_the_logger_name(worker):
    invocation_id, found = _user_logs(worker, "NamedLogger", 2)
    assert {(log.category, log.invocation_id) for log in found} == {("contoso.orders", invocation_id)}


def test_logs_of_threads_a_def_function_starts_carry_its_id(worker):
    invocation_id, found = _user_logs(worker, "SyncThreads", 2)
    assert "log from a user thread" in [log.message for log in found]
    assert {log.invocation_id for log in found} == {invocation_id}


def test_logs_of_executor_jobs_carry_the_invocation_id(worker):
    invocation_id, found = _user_logs(worker, "Executor", 1)
    assert [(log.message, log.invocation_id) for log in found] == [("log from an executor job", invocation_id)]


def test_concurrent_async_invocations_keep_their_own_ids_in_tasks_and_threads(worker):
    function_id = worker.function_id("AsyncTasks")
    requests = [build_invocation(function_id, {"req": http()}) for _ in range(4)]
    assert [r.result.status for r in worker.invoke_many(requests)] == [SUCCESS] * 4
    expected = sorted(
        [
            "log from the async function",
            "log from asyncio task 1",
            "log from asyncio task 2",
            "log from a thread started by an async function",
        ]
    )
    for request in requests:
        found = worker.wait_for_logs(lambda ls: len(ls) >= 4, request.invocation_id)
        assert sorted(log.message for log in found if log.log_category == USER) == expected


def test_the_workers_and_the_platforms_logs_are_system(worker):
    _, user = _user_logs(worker, "Platform", 0)
    assert not [log for log in user if log.message == "from the library"]
    platform = [log for log in worker.channel.logs if log.message == "from the library"]
    assert [log.log_category for log in platform] == [SYSTEM]
    own = [log for log in worker.channel.logs if log.category == "quickfunc"]
    assert own and {log.log_category for log in own} == {SYSTEM}


def test_logs_outside_an_invocation_carry_no_invocation_id(worker):
    loaded = [log for log in worker.channel.logs if log.message.startswith("Loaded function")]
    assert loaded and not any(log.invocation_id for log in loaded)


def test_a_lone_surrogate_in_a_log_is_escaped_not_lost(worker):
    _, found = _user_logs(worker, "Surrogate", 1)
    assert [log.message for log in found] == ["cannot open report-\\udcff.csv"]


def test_without_debug_logging_debug_records_are_not_sent(worker_harness):
    # (set: the module's worker, with debug logging, shares this process's environment)
    quiet = worker_harness(app_path("v1_logging"), env={"PYTHON_ENABLE_DEBUG_LOGGING": "false"})
    quiet.load_v1_app()
    response = quiet.invoke("LogLevels", {"req": http()})
    messages = [log.message for log in quiet.logs_for(response.invocation_id)]
    assert "info message" in messages and "debug message" not in messages


# ---- the handler itself ---------------------------------------------------------------------


def _emit(handler: logs.RpcLogHandler, text: str, level: int = logging.INFO, name: str = "user") -> None:
    handler.handle(logging.LogRecord(name, level, __file__, 1, text, None, None))


def test_over_the_hosts_size_limit_a_log_text_is_cut_and_says_so():
    sent: list[pb.StreamingMessage] = []
    handler = logs.RpcLogHandler(sent.append, "r", max_message_length=8192)
    _emit(handler, "é" * 10_000)
    (message,) = sent
    assert message.ByteSize() <= 8192
    assert "[log message truncated: it has 20000 bytes" in message.rpc_log.message


def test_a_thread_may_name_its_invocation_in_thread_local_storage():
    sent: list[pb.StreamingMessage] = []
    handler = logs.RpcLogHandler(sent.append, "r")

    def run() -> None:
        logs.thread_local_storage.invocation_id = "inv-tls"
        try:
            _emit(handler, "from my own thread")
        finally:
            del logs.thread_local_storage.invocation_id

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(5)
    assert [m.rpc_log.invocation_id for m in sent] == ["inv-tls"]


@pytest.mark.parametrize("name", ["grpclib.protocol", "h2.connection", "hpack.hpack", "hpack.table", "hyperframe"])
def test_the_grpc_clients_own_logs_are_system_not_the_users(name):
    sent: list[pb.StreamingMessage] = []
    handler = logs.RpcLogHandler(sent.append, "r")
    _emit(handler, "Decoding b'...'", name=name)
    assert [m.rpc_log.log_category for m in sent] == [SYSTEM]


@pytest.mark.parametrize(
    "levelno, level", [(logging.CRITICAL + 5, "Critical"), (25, "Information"), (15, "Debug"), (5, "None")]
)
def test_levels_between_pythons_named_ones_round_down(levelno, level):
    assert logs.rpc_level(levelno) == LEVEL(level)
