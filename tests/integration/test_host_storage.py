"""The local host resolves every storage connection at start and says in its banner where each
one lives; a connection it cannot use stops it with an error naming the setting."""

from __future__ import annotations

import json
import shutil

import pytest

from quickfunc.host.storage.connection_string import AZURITE_KEY
from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, run_host_command


@pytest.fixture
def app(tmp_path):
    """The v1 test app, its queue output on a connection of its own (Orders)."""
    target = tmp_path / "app"
    shutil.copytree(app_path("host_v1"), target)
    spec = target / "QueueWriter" / "function.json"
    data = json.loads(spec.read_text())
    data["bindings"][1]["connection"] = "Orders"
    spec.write_text(json.dumps(data))
    return target


def _banner(app, args=(), env=None):
    host = LocalHostProcess(str(app), list(args), env=env).start()
    try:
        return [line for line in host.lines if line.startswith("Storage ")]
    finally:
        host.close()


def test_the_banner_names_each_connection_and_its_backend(app, azurite):
    lines = _banner(app, env={"Orders": azurite.connection_string})
    assert lines == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db)",
        f"Storage Orders: Azurite at 127.0.0.1:{azurite.blob_port}/{azurite.queue_port}",
    ]


def test_storage_embedded_forces_the_embedded_store(app, azurite):
    lines = _banner(app, ["--storage", "embedded"], env={"Orders": azurite.connection_string})
    assert lines[1] == "Storage Orders: embedded (.quickfunc/storage.db) (--storage embedded)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a connection string", "error: the setting Orders is not a storage connection string"),
        ("{wrong key}", "error: the storage account of setting Orders (127.0.0.1:"),
    ],
)
def test_a_connection_that_cannot_be_used_stops_the_host_naming_the_setting(app, azurite, value, expected):
    if value == "{wrong key}":
        value = azurite.connection_string.replace(AZURITE_KEY, "a2V5" * 22)
    result = run_host_command(str(app), env={"Orders": value})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert expected in output
    assert "Traceback" not in output


def test_storage_connection_with_no_azurite_is_an_error(app):
    result = run_host_command(
        str(app), "--storage", "connection", env={"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "--storage connection: the setting AzureWebJobsStorage is UseDevelopmentStorage=true" in output
