"""Local host configuration: host.json, local.settings.json, environment and command line."""

from __future__ import annotations

import json
import os
import sys

import pytest

from quickfunc.host.config import (
    DEFAULT_BODY_WAIT_TIMEOUT,
    DEFAULT_MAX_BODY_MEMORY,
    DEFAULT_MAX_BODY_SIZE,
    ConfigError,
    HostOptions,
    SettingsFileError,
    load_config,
)
from quickfunc.host.jsonfile import read_json_file
from quickfunc.host.setting_values import level_number, parse_size, parse_timespan
from tests.helpers import REPO_ROOT


def _app(tmp_path, host=None, local=None):
    if host is not None:
        (tmp_path / "host.json").write_text(host if isinstance(host, str) else json.dumps(host))
    if local is not None:
        (tmp_path / "local.settings.json").write_text(local if isinstance(local, str) else json.dumps(local, indent=2))
    return str(tmp_path)


def _load(app, env=None, **options):
    return load_config(HostOptions(app_dir=app, **options), environ=env or {})


def test_defaults_without_any_file(tmp_path):
    config = _load(_app(tmp_path))
    assert (config.route_prefix, config.http_host, config.http_port) == ("api", "127.0.0.1", 7071)
    assert config.process_count == 1
    assert config.max_body_size == DEFAULT_MAX_BODY_SIZE
    assert config.enable_auth is False
    assert config.python == sys.executable
    assert config.function_timeout == 1800


def test_route_prefix_log_levels_and_timeout_from_host_json(tmp_path):
    app = _app(
        tmp_path,
        {
            "version": "2.0",
            "extensions": {"http": {"routePrefix": "/v2/"}},
            "logging": {"logLevel": {"default": "warning", "Function.f": "Debug"}},
            "functionTimeout": "00:02:30",
        },
    )
    config = _load(app)
    assert config.route_prefix == "v2"
    assert config.function_log_level("f") == level_number("Debug")
    assert config.function_log_level("other") == level_number("Warning")
    assert config.function_timeout == 150


def test_an_empty_route_prefix_is_allowed(tmp_path):
    assert _load(_app(tmp_path, {"extensions": {"http": {"routePrefix": ""}}})).route_prefix == ""


def test_host_json_keys_are_case_insensitive_and_comments_allowed(tmp_path):
    app = _app(tmp_path, '{\n // note\n "Extensions": {"HTTP": {"RoutePrefix": "x"}},\n}')
    assert _load(app).route_prefix == "x"


def test_values_become_settings_and_the_environment_wins(tmp_path):
    app = _app(tmp_path, local={"Values": {"A": "from file", "B": "file only", "N": 3, "T": True, "NULL": None}})
    config = _load(app, env={"A": "from env"})
    assert config.settings["A"] == "from env"
    assert config.settings["B"] == "file only"
    assert (config.settings["N"], config.settings["T"]) == ("3", "true")
    assert "NULL" not in config.settings
    assert config.worker_env["B"] == "file only"


def test_worker_environment_has_what_the_host_and_launcher_add(tmp_path):
    (tmp_path / ".python_packages" / "lib" / "site-packages").mkdir(parents=True)
    config = _load(_app(tmp_path), env={"PYTHONPATH": "/extra"})
    paths = config.worker_env["PYTHONPATH"].split(os.pathsep)
    assert paths[0] == os.path.join(REPO_ROOT, "worker")  # the source root that holds `quickfunc`
    assert paths[1] == str(tmp_path / ".python_packages" / "lib" / "site-packages")
    assert paths[2] == "/extra"
    assert config.worker_env["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert config.worker_env["AZURE_FUNCTIONS_ENVIRONMENT"] == "Development"


def test_malformed_local_settings_names_file_line_and_key(tmp_path):
    app = _app(tmp_path, local='{\n  "Values": {\n    "A": "1"\n    "B": "2"\n  }\n}')
    with pytest.raises(SettingsFileError) as info:
        _load(app)
    err = info.value
    assert err.path.endswith("local.settings.json")
    assert (err.line, err.key) == (4, "Values.A")
    assert "Expecting ',' delimiter" in str(err)


def test_encrypted_settings_are_refused(tmp_path):
    app = _app(tmp_path, local='{\n  "IsEncrypted": true,\n  "Values": {}\n}')
    with pytest.raises(SettingsFileError) as info:
        _load(app)
    assert (info.value.line, info.value.key) == (2, "IsEncrypted")
    assert "decrypt" in str(info.value)


@pytest.mark.parametrize(
    "local, key",
    [
        ({"Values": []}, "Values"),
        ({"Values": {"X": [1]}}, "Values.X"),
        ({"IsEncrypted": "no"}, "IsEncrypted"),
        ({"Host": {"LocalHttpPort": "80"}}, "Host.LocalHttpPort"),
    ],
)
def test_wrong_types_in_local_settings_name_the_key(tmp_path, local, key):
    with pytest.raises(SettingsFileError) as info:
        _load(_app(tmp_path, local=local))
    assert info.value.key == key and info.value.line is not None


@pytest.mark.parametrize(
    "host, key",
    [
        ({"version": "1.0"}, "version"),
        ({"extensions": {"http": {"routePrefix": 1}}}, "extensions.http.routePrefix"),
        ({"logging": {"logLevel": {"default": "Loud"}}}, "logging.logLevel.default"),
        ({"functionTimeout": "five minutes"}, "functionTimeout"),
    ],
)
def test_wrong_values_in_host_json_name_the_key(tmp_path, host, key):
    with pytest.raises(SettingsFileError) as info:
        _load(_app(tmp_path, host))
    assert info.value.key == key


def test_a_top_level_array_is_refused(tmp_path):
    with pytest.raises(SettingsFileError, match="JSON object"):
        _load(_app(tmp_path, "[]"))


@pytest.mark.parametrize("value, expected", [("1", 1), ("4", 4), ("10", 10), (" 2 ", 2)])
def test_process_count_from_one_to_ten(tmp_path, value, expected):
    assert _load(_app(tmp_path), env={"FUNCTIONS_WORKER_PROCESS_COUNT": value}).process_count == expected


@pytest.mark.parametrize("value", ["0", "11", "-1", "two", "1.5"])
def test_other_process_counts_are_an_error(tmp_path, value):
    with pytest.raises(ConfigError, match="from 1 to 10"):
        _load(_app(tmp_path), env={"FUNCTIONS_WORKER_PROCESS_COUNT": value})


def test_process_count_error_from_local_settings_points_at_its_line(tmp_path):
    app = _app(tmp_path, local={"Values": {"FUNCTIONS_WORKER_PROCESS_COUNT": "99"}})
    with pytest.raises(SettingsFileError) as info:
        _load(app)
    assert info.value.key == "Values.FUNCTIONS_WORKER_PROCESS_COUNT" and info.value.line == 3


def test_port_precedence_cli_then_env_then_local_settings(tmp_path):
    app = _app(tmp_path, local={"Host": {"LocalHttpPort": 7000}})
    assert _load(app).http_port == 7000
    assert _load(app, env={"QUICKFUNC_PORT": "7001"}).http_port == 7001
    assert _load(app, env={"QUICKFUNC_PORT": "7001"}, port=7002).http_port == 7002
    assert _load(app, env={"QUICKFUNC_HOST": "0.0.0.0"}).http_host == "0.0.0.0"


def test_app_dir_defaults_to_script_root(tmp_path):
    config = load_config(HostOptions(), environ={"AzureWebJobsScriptRoot": str(tmp_path)})
    assert config.app_dir == str(tmp_path)


def test_a_missing_app_dir_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        _load(str(tmp_path / "nope"))


def test_another_runtime_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="Python function apps only"):
        _load(_app(tmp_path, local={"Values": {"FUNCTIONS_WORKER_RUNTIME": "node"}}))


def test_keys_disabled_functions_and_time_zone_come_from_settings(tmp_path):
    env = {
        "FUNCTIONS_HOST_KEY": "h",
        "FUNCTIONS_ADMIN_KEY": "m",
        "FUNCTIONS_KEY_MyFunc": "f",
        "AzureWebJobs.Old.Disabled": "true",
        "AzureWebJobs.New.Disabled": "false",
        "WEBSITE_TIME_ZONE": "Europe/Paris",
    }
    config = _load(_app(tmp_path), env=env)
    assert (config.keys.host_key, config.keys.admin_key) == ("h", "m")
    assert config.keys.function_keys == {"myfunc": "f"}
    assert config.is_disabled("old") and not config.is_disabled("New")
    assert config.time_zone == "Europe/Paris"


def test_an_unknown_time_zone_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="IANA"):
        _load(_app(tmp_path), env={"WEBSITE_TIME_ZONE": "Pacific Standard Time"})


def test_sizes_and_levels_from_the_command_line(tmp_path):
    config = _load(
        _app(tmp_path), max_body_size="2MB", max_header_size="512", log_level="error", worker_log_level="debug"
    )
    assert (config.max_body_size, config.max_header_size) == (2 * 1024 * 1024, 512)
    assert config.function_log_level("any") == level_number("Error")
    assert config.worker_log_level == "Debug"
    with pytest.raises(ConfigError, match="--max-body-size"):
        _load(_app(tmp_path), max_body_size="lots")
    with pytest.raises(ConfigError, match="--log-level"):
        _load(_app(tmp_path), log_level="chatty")


def test_the_room_for_bodies_in_flight_is_at_least_the_largest_body(tmp_path):
    app = _app(tmp_path)
    default = _load(app)
    assert default.max_body_memory == DEFAULT_MAX_BODY_MEMORY >= DEFAULT_MAX_BODY_SIZE
    assert default.body_wait_timeout == DEFAULT_BODY_WAIT_TIMEOUT
    assert _load(app, max_body_size="1GB").max_body_memory == 1024**3  # raised to fit one
    config = _load(app, max_body_size="1MB", max_body_memory="3MB", body_wait_timeout=2.5)
    assert (config.max_body_memory, config.body_wait_timeout) == (3 * 1024**2, 2.5)
    with pytest.raises(ConfigError, match="--max-body-memory .* must be at least --max-body-size"):
        _load(app, max_body_memory="10MB")
    with pytest.raises(ConfigError, match="--max-body-memory"):
        _load(app, max_body_memory="plenty")


@pytest.mark.parametrize(
    "text, size", [("100", 100), ("1KB", 1024), ("10mb", 10485760), ("1GiB", 1073741824), ("5 k", 5120)]
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "text, seconds", [("00:05:00", 300), ("1.02:00:00", 93600), ("00:00:01.5", 1.5), ("10:30", 37800)]
)
def test_parse_timespan(text, seconds):
    assert parse_timespan(text) == seconds


def test_json_file_finds_lines_of_nested_keys_and_array_items(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{\n "a": {\n  "b": [\n   {"c": 1},\n   {"c": 2}\n  ]\n }\n}')
    doc = read_json_file(str(path))
    assert doc.line_of("a.b") == 3
    assert doc.line_of("a.b[0].c") == 4
    assert doc.line_of("a.b[1].c") == 5
    assert doc.line_of("A.B") == 3
