"""Secrets from local.settings.json never reach the local host's console, even at full verbosity,
when functions fail, and when an app refuses to start."""

from __future__ import annotations

import json
import shutil

import pytest

from quickfunc.host.jsonfile import SettingsFileError, read_json_file
from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, run_host_command

PASSWORD = "pw-7f3kq-SECRET-VALUE"
ACCOUNT_KEY = "KEY-SECRET-abc123=="


@pytest.fixture
def app(tmp_path):
    target = tmp_path / "app"
    shutil.copytree(app_path("host_v2"), target)
    settings = json.loads((target / "local.settings.json").read_text())
    settings["Values"]["MY_PASSWORD"] = PASSWORD
    settings["Values"]["AzureWebJobsStorage"] = (
        f"DefaultEndpointsProtocol=https;AccountName=dev;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
    )
    (target / "local.settings.json").write_text(json.dumps(settings))
    return target


def _assert_no_secret(text: str) -> None:
    assert PASSWORD not in text and ACCOUNT_KEY not in text, text


def test_secrets_stay_out_of_the_console_at_full_verbosity(app):
    # --storage embedded: the made-up account could not be used, which stops the start (below)
    with LocalHostProcess(str(app), args=["-v", "--log-level", "Trace", "--storage", "embedded"]) as host:
        assert host.get("/api/hello/Ann").status == 200
        assert host.get("/api/fail").status == 500
        assert host.get("/api/no-such-route").status == 404
        assert host.post("/admin/functions/forward", json.dumps({"input": "x"})).status == 202
        host.wait_for_line("forward", timeout=10)
        _assert_no_secret(host.output())


def test_secrets_stay_out_of_startup_errors(app):
    (app / "function_app.py").write_text("import os\nraise RuntimeError('broken at import')\n")
    result = run_host_command(str(app), "-v")
    assert result.returncode == 1 and "broken at import" in (result.stdout + result.stderr)
    _assert_no_secret(result.stdout + result.stderr)


def test_secrets_stay_out_of_storage_start_up_errors(app):
    result = run_host_command(str(app), "-v")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "error: the setting AzureWebJobsStorage has an AccountKey" in output
    _assert_no_secret(output)


def test_a_settings_file_that_is_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "local.settings.json"
    path.write_bytes(b'{"Values": {"A": "\xff\xfe"}}')
    with pytest.raises(SettingsFileError) as err:
        read_json_file(str(path))
    assert str(path) in str(err.value) and "not UTF-8" in str(err.value)
