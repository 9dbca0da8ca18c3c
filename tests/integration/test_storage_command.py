"""``quickfunc storage APP ...`` as a user runs it (a subprocess), on the embedded store and on a
real Azurite: messages put are peeked back and stored as the Functions host writes them (base64);
blobs go in and come out byte for byte."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import uuid

import pytest

from quickfunc.host.storage.azure import AzureStorage
from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from tests.helpers import REPO_ROOT, app_path, run
from tests.integration.hostproc import host_env


@pytest.fixture(params=["embedded", "azurite"])
def target(request, tmp_path):
    """(app folder, extra environment, a factory for the store the command should reach)."""
    app = tmp_path / "app"
    shutil.copytree(app_path("host_v1"), app)
    if request.param == "embedded":
        return str(app), {}, lambda: EmbeddedStorage(store_path(str(app)))
    server = request.getfixturevalue("azurite")
    env = {"AzureWebJobsStorage": server.connection_string}
    return str(app), env, lambda: AzureStorage(server.connection_string, "Azurite")


def _command(app, env, *args, stdin=b""):
    return subprocess.run(
        [sys.executable, "-m", "quickfunc.command", "storage", app, *args],
        cwd=REPO_ROOT,
        env=host_env(env),
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_queue_put_then_peek_and_the_body_is_base64_as_the_host_writes_it(target, tmp_path):
    app, env, store = target
    queue = f"orders-{uuid.uuid4().hex[:12]}"
    put = _command(app, env, "queue", "put", queue, '{"item": "böok"}')
    assert put.returncode == 0, put.stderr
    assert f"on queue '{queue}'" in put.stdout.decode()
    peek = _command(app, env, "queue", "peek", queue)
    assert peek.returncode == 0, peek.stderr
    [line] = peek.stdout.decode().splitlines()
    assert line.endswith('  {"item": "böok"}') and "dequeued 0x" in line

    async def stored():
        backend = store()
        try:
            return [m.body for m in await backend.peek_messages(queue, 32)]
        finally:
            await backend.close()

    assert run(stored()) == [base64.b64encode('{"item": "böok"}'.encode())]


def test_blob_put_get_list_round_trip_bytes(target, tmp_path):
    app, env, _ = target
    box = f"cmd-{uuid.uuid4().hex[:8]}"  # the Azurite is shared by the session
    data = bytes(range(256))
    source = tmp_path / "a.bin"
    source.write_bytes(data)
    put = _command(app, env, "blob", "put", f"{box}/dir/a.bin", str(source))
    assert put.returncode == 0, put.stderr
    assert _command(app, env, "blob", "put", f"{box}/b.txt", "-", stdin=b"hello").returncode == 0
    got = _command(app, env, "blob", "get", f"{box}/dir/a.bin")
    assert got.returncode == 0 and got.stdout == data
    listing = _command(app, env, "blob", "list", f"{box}/dir/").stdout.decode().splitlines()
    assert [line.split("  ")[:3] for line in listing] == [["dir/a.bin", "256", "application/octet-stream"]]
    everything = _command(app, env, "blob", "list", box).stdout.decode().splitlines()
    assert [line.split("  ")[0] for line in everything] == ["b.txt", "dir/a.bin"]
    assert everything[0].split("  ")[2] == "text/plain"


def test_errors_are_one_line_naming_what_is_wrong(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(app_path("host_v1"), app)
    missing = _command(str(app), {}, "blob", "get", "samples/none.txt")
    assert (
        missing.returncode == 1
        and missing.stderr.decode().splitlines()[-1] == "error: there is no blob samples/none.txt"
    )
    bad = _command(str(app), {"AzureWebJobsStorage": "nonsense"}, "queue", "peek", "orders")
    assert bad.returncode == 1
    assert "error: the setting AzureWebJobsStorage is not a storage connection string" in bad.stderr.decode()
    assert b"Traceback" not in bad.stderr
