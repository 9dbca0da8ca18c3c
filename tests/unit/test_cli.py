"""Both command-line styles the host passes are understood."""

import re

import pytest

from quickfunc.cli import UNLIMITED, UsageError, parse_args


def test_legacy_flags():
    config = parse_args(
        [
            "--host",
            "127.0.0.1",
            "--port",
            "5000",
            "--workerId",
            "w1",
            "--requestId",
            "r1",
            "--grpcMaxMessageLength",
            "1048576",
        ]
    )
    assert (config.host, config.port, config.worker_id, config.request_id) == ("127.0.0.1", 5000, "w1", "r1")
    assert config.max_message_length == 1048576
    assert config.target == "127.0.0.1:5000"


def test_new_flags_win_over_legacy_ones():
    config = parse_args(
        [
            "--host",
            "10.9.9.9",
            "--port",
            "1",
            "--workerId",
            "old",
            "--requestId",
            "old-r",
            "--functions-uri",
            "http://127.0.0.1:50821/",
            "--functions-worker-id",
            "new",
            "--functions-request-id",
            "new-r",
            "--functions-grpc-max-message-length",
            "2147483647",
        ]
    )
    assert (config.host, config.port, config.worker_id, config.request_id) == ("127.0.0.1", 50821, "new", "new-r")
    assert config.max_message_length == UNLIMITED


def test_ipv6_target_is_bracketed():
    config = parse_args(["--functions-uri", "http://[::1]:7000/", "--functions-worker-id", "w"])
    assert config.target == "[::1]:7000"


def test_unknown_extra_flags_are_ignored():
    config = parse_args(["--host", "127.0.0.1", "--port", "1", "--workerId", "w", "--something-new", "x"])
    assert config.worker_id == "w"


def test_trace_log_level_means_debug():
    config = parse_args(["--host", "127.0.0.1", "--port", "1", "--workerId", "w", "--log-level", "TRACE"])
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize(
    "argv, missing",
    [
        (["--port", "1", "--workerId", "w"], "--host"),
        (["--host", "h", "--workerId", "w"], "--port"),
        (["--host", "h", "--port", "1"], "--workerId"),
    ],
)
def test_missing_flags_are_named(argv, missing):
    with pytest.raises(UsageError, match=missing):
        parse_args(argv)


def test_bad_uri_is_explained():
    with pytest.raises(UsageError, match="functions-uri"):
        parse_args(["--functions-uri", "not a uri", "--functions-worker-id", "w"])


_FLAGS = [
    "--host",
    "--port",
    "--workerId",
    "--requestId",
    "--grpcMaxMessageLength",
    "--functions-uri",
    "--functions-worker-id",
    "--functions-request-id",
    "--functions-grpc-max-message-length",
    "--log-level",
    "--log-to",
    "--version",
]


def test_help_describes_every_flag():
    import os
    import subprocess
    import sys

    from tests.helpers import REPO_ROOT, checkout_first

    env = dict(os.environ, PYTHONPATH=checkout_first(os.environ.get("PYTHONPATH", "")), COLUMNS="200")
    result = subprocess.run(
        [sys.executable, "-m", "quickfunc", "--help"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    described = {}
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("  --"):
            continue
        # "  --flag METAVAR   what it is", or the description on the next line when the flag is long
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        text = parts[1] if len(parts) == 2 else (lines[i + 1].strip() if i + 1 < len(lines) else "")
        if text and not text.startswith("-"):
            described[parts[0].split()[0]] = text
    assert sorted(described) == sorted(_FLAGS), result.stdout


def test_version_flag_prints_the_version(capsys):
    import quickfunc

    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"quickfunc {quickfunc.__version__}"
