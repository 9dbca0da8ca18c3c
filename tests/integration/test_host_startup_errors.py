"""The local host refuses to start on bad configuration or a broken app, with a message that
says which file, line and key (or which setting) is wrong, and exit code 1."""

from __future__ import annotations

import json
import os
import shutil

import psutil
import pytest

from tests.helpers import app_path
from tests.integration.hostproc import run_host_command


@pytest.fixture
def app(tmp_path):
    """A copy of the v2 test app that each test may break."""
    target = tmp_path / "app"
    shutil.copytree(app_path("host_v2"), target)
    return target


def test_malformed_local_settings_names_file_line_and_key(app):
    (app / "local.settings.json").write_text(
        '{\n  "IsEncrypted": false,\n  "Values": {\n    "A": "1",\n    "B": oops\n  }\n}\n'
    )
    result = run_host_command(str(app))
    assert result.returncode == 1
    path = os.path.join(str(app), "local.settings.json")
    assert f"error: {path}, line 5, key 'Values.B': is not valid JSON" in result.stderr


def test_a_values_entry_that_is_an_object_names_its_line_and_key(app):
    (app / "local.settings.json").write_text('{\n  "Values": {\n    "X": {"nested": 1}\n  }\n}\n')
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert "local.settings.json, line 3, key 'Values.X': must be a string" in result.stderr


def test_encrypted_local_settings_is_a_clear_error(app):
    (app / "local.settings.json").write_text('{"IsEncrypted": true, "Values": {"A": "x"}}')
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert "key 'IsEncrypted': the settings are encrypted" in result.stderr
    assert "func settings decrypt" in result.stderr


@pytest.mark.parametrize("count", ["0", "11", "four"])
def test_an_invalid_process_count_in_local_settings_is_refused(app, count):
    # two-space indented: the key is on line 3
    settings = json.dumps({"Values": {"FUNCTIONS_WORKER_PROCESS_COUNT": count}}, indent=2) + "\n"
    (app / "local.settings.json").write_text(settings)
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert (
        "local.settings.json, line 3, key 'Values.FUNCTIONS_WORKER_PROCESS_COUNT': "
        f"FUNCTIONS_WORKER_PROCESS_COUNT must be a whole number from 1 to 10 (got '{count}')" in result.stderr
    )


def test_an_invalid_process_count_in_the_environment_is_refused(app):
    result = run_host_command(str(app), env={"FUNCTIONS_WORKER_PROCESS_COUNT": "12"})
    assert result.returncode == 1
    assert (
        "FUNCTIONS_WORKER_PROCESS_COUNT must be a whole number from 1 to 10 (got '12'); "
        "it is set in the environment" in result.stderr
    )


def test_malformed_host_json_names_file_line_and_key(app):
    (app / "host.json").write_text('{\n  "version": "2.0",\n  "extensions": {"http": {"routePrefix": 5}}\n}\n')
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert "host.json, line 3, key 'extensions.http.routePrefix': must be a string" in result.stderr


def test_an_app_that_fails_to_index_stops_the_host_with_the_error(app):
    (app / "function_app.py").write_text("import not_a_module_anywhere\n")
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert "could not index the app" in result.stdout
    assert "not_a_module_anywhere" in result.stdout
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline", "cwd"])
        if p.info["cwd"] == str(app) and "--functions-worker-id" in (p.info["cmdline"] or [])
    ]
    assert leftovers == []


def test_a_python_that_does_not_exist_is_named(app):
    result = run_host_command(str(app), "--python", "/nonexistent/python3")
    assert result.returncode == 1
    assert "could not start the worker with /nonexistent/python3" in result.stdout


def test_a_worker_that_exits_at_once_is_reported_with_its_output(app, tmp_path):
    fake = tmp_path / "fake_python"
    fake.write_text("#!/bin/sh\necho 'this is not a worker' >&2\nexit 3\n")
    fake.chmod(0o755)
    result = run_host_command(str(app), "--python", str(fake), env={"FUNCTIONS_WORKER_PROCESS_COUNT": "3"})
    assert result.returncode == 1
    assert "exited with code 3 before connecting" in result.stdout
    assert "this is not a worker" in result.stdout


def test_a_second_name_for_the_function_app_fails_the_indexing_as_on_the_platform(app):
    # the platform's worker counts every top-level name bound to a FunctionApp, aliases included
    source = (app / "function_app.py").read_text()
    (app / "function_app.py").write_text(source + "\napplication = app\n")
    result = run_host_command(str(app))
    assert result.returncode == 1
    assert "could not index the app" in result.stdout
    assert "more than one function app (app, application) (all the same object" in result.stdout
