"""Worker command line, environment and output lines as the host builds them."""

from __future__ import annotations

import importlib.util
import os
import sys

from quickfunc.host.process import OutputLine, WorkerCommand, module_argv, worker_environment
from tests.helpers import REPO_ROOT


def test_argv_has_both_flag_styles_exactly_like_the_host():
    argv = WorkerCommand(executable="python3").build_argv("127.0.0.1", 50821, "wid", "rid", 2147483647)
    assert argv == [
        "python3",
        *module_argv("quickfunc"),
        "--host",
        "127.0.0.1",
        "--port",
        "50821",
        "--workerId",
        "wid",
        "--requestId",
        "rid",
        "--grpcMaxMessageLength",
        "2147483647",
        "--functions-uri",
        "http://127.0.0.1:50821/",
        "--functions-worker-id",
        "wid",
        "--functions-request-id",
        "rid",
        "--functions-grpc-max-message-length",
        "2147483647",
    ]


def test_argv_defaults_to_this_interpreter_and_max_length():
    argv = WorkerCommand().build_argv("127.0.0.1", 1, "w", "r")
    assert argv[0] == sys.executable
    assert argv[argv.index("--grpcMaxMessageLength") + 1] == "2147483647"


def test_argv_runs_a_script_with_interpreter_and_extra_args_before_the_flags():
    cmd = WorkerCommand(
        executable="py",
        module=None,
        script="/w/floor.py",
        interpreter_args=["-X", "dev"],
        extra_args=["--log-level", "TRACE"],
    )
    argv = cmd.build_argv("localhost", 7, "w", "r")
    assert argv[:6] == ["py", "-X", "dev", "/w/floor.py", "--log-level", "TRACE"]
    assert argv[6:8] == ["--host", "localhost"]
    assert cmd.worker_directory() == "/w"


def test_module_worker_directory_is_the_package_folder():
    assert WorkerCommand(module="quickfunc").worker_directory() == os.path.join(REPO_ROOT, "worker", "quickfunc")


def test_environment_adds_host_variables_and_default_thread_count():
    env = worker_environment({"PATH": "/bin", "FUNCTIONS_WORKER_RUNTIME": "node"}, "/app", "/w")
    assert env == {
        "PATH": "/bin",
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "FUNCTIONS_WORKER_DIRECTORY": "/w",
        "FUNCTIONS_APPLICATION_DIRECTORY": "/app",
        "AzureWebJobsScriptRoot": "/app",
        "PYTHON_THREADPOOL_THREAD_COUNT": "1000",
    }


def test_environment_keeps_a_configured_thread_count():
    env = worker_environment({"PYTHON_THREADPOOL_THREAD_COUNT": "4"}, "/app", "/w")
    assert env["PYTHON_THREADPOOL_THREAD_COUNT"] == "4"


def test_console_log_prefix_marks_system_lines_case_insensitively():
    line = OutputLine("stdout", "languageworkerconsolelog INFO: Starting")
    assert line.system and line.message == "INFO: Starting"
    plain = OutputLine("stderr", "Traceback (most recent call last):")
    assert not plain.system and plain.message == plain.text


def _floor_module():
    path = os.path.join(REPO_ROOT, "scripts", "floor_worker.py")
    spec = importlib.util.spec_from_file_location("floor_worker_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_floor_worker_prefers_functions_uri_over_legacy_flags():
    floor = _floor_module()
    args = floor.parse_args(
        [
            "--host",
            "10.0.0.1",
            "--port",
            "1",
            "--workerId",
            "old",
            "--functions-uri",
            "http://127.0.0.1:4242/",
            "--functions-worker-id",
            "new",
            "--functions-request-id",
            "rq",
        ]
    )
    assert (args.host, args.port, args.worker_id, args.request_id) == ("127.0.0.1", 4242, "new", "rq")


def test_floor_worker_falls_back_to_legacy_flags():
    floor = _floor_module()
    args = floor.parse_args(
        ["--host", "127.0.0.1", "--port", "9", "--workerId", "w", "--requestId", "r", "--unknown-flag", "x"]
    )
    assert (args.host, args.port, args.worker_id, args.request_id) == ("127.0.0.1", 9, "w", "r")
