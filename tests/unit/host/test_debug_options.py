"""--debug, --debug-port and --debug-wait: what they turn into (ports per worker, lifted time
limits, the worker settings that start debugpy)."""

from __future__ import annotations

import json
import math

import pytest

from quickfunc.host.__main__ import parse_options
from quickfunc.host.config import DEFAULT_FUNCTION_TIMEOUT, DEFAULT_WORKER_START_TIMEOUT, ConfigError, load_config
from quickfunc.host.dev_options import DEFAULT_DEBUG_PORT, DevOptions


def _config(tmp_path, argv, env=None):
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "functionTimeout": "00:00:01"}))
    return load_config(parse_options([str(tmp_path), *argv]), environ=env or {})


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], (False, DEFAULT_DEBUG_PORT, False)),
        (["--debug"], (True, DEFAULT_DEBUG_PORT, False)),
        (["--debug-wait"], (True, DEFAULT_DEBUG_PORT, True)),
        (["--debug-port", "5678"], (True, 5678, False)),
        (["--debug", "--debug-port", "5678", "--debug-wait"], (True, 5678, True)),
    ],
)
def test_the_debug_flags(argv, expected):
    dev = parse_options(argv).dev
    assert (dev.debug, dev.debug_port, dev.debug_wait) == expected


def test_the_default_port_is_the_one_vs_codes_attach_to_python_functions_uses():
    assert DEFAULT_DEBUG_PORT == 9091


def test_debugging_lifts_function_timeout_and_waiting_lifts_the_start_timeout(tmp_path):
    plain = _config(tmp_path, [])
    assert plain.function_timeout == 1.0
    assert plain.worker_start_timeout == DEFAULT_WORKER_START_TIMEOUT
    debugging = _config(tmp_path, ["--debug"])
    assert debugging.function_timeout is None
    assert debugging.worker_start_timeout == DEFAULT_WORKER_START_TIMEOUT  # no app code runs before it connects
    waiting = _config(tmp_path, ["--debug-wait"])
    assert waiting.function_timeout is None
    assert waiting.worker_start_timeout == math.inf
    assert DEFAULT_FUNCTION_TIMEOUT > 1.0


def test_each_worker_gets_its_own_port(tmp_path):
    config = _config(tmp_path, ["--debug-port", "6000"], env={"FUNCTIONS_WORKER_PROCESS_COUNT": "3"})
    ports = [config.dev.worker_env(config.worker_env, i)["QUICKFUNC_DEBUG_PORT"] for i in range(3)]
    assert ports == ["6000", "6001", "6002"]
    banner = "\n".join(config.dev.debug_lines(3))
    assert "worker 1 on 127.0.0.1:6000, worker 2 on 127.0.0.1:6001, worker 3 on 127.0.0.1:6002" in banner
    assert "functionTimeout is lifted" in banner


@pytest.mark.parametrize(
    "argv, count, needle",
    [
        (["--debug-port", "0"], "1", "got 0"),
        (["--debug-port", "70000"], "1", "got 70000"),
        (["--debug-port", "65535"], "2", "ports 65535-65536 for 2 workers"),
    ],
)
def test_a_port_out_of_range_is_refused(tmp_path, argv, count, needle):
    with pytest.raises(ConfigError, match="--debug-port must be from 1 to 65535") as caught:
        _config(tmp_path, argv, env={"FUNCTIONS_WORKER_PROCESS_COUNT": count})
    assert needle in str(caught.value)


def test_the_worker_settings_while_debugging_and_the_apps_own_win():
    base = {"PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "120", "GREETING": "hi"}
    assert DevOptions().worker_env(base, 0) is base  # not debugging: untouched
    env = DevOptions(debug=True, debug_port=7000, debug_wait=True).worker_env(base, 1)
    assert env["QUICKFUNC_DEBUG_PORT"] == "7001"
    assert env["QUICKFUNC_DEBUG_WAIT"] == "1"
    assert env["PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS"] == "120"  # the app set it
    assert env["PYTHON_BLOCKED_LOOP_WARNING_SECONDS"] == "0"
    assert env["GREETING"] == "hi"
    assert "QUICKFUNC_DEBUG_WAIT" not in DevOptions(debug=True).worker_env({}, 0)
