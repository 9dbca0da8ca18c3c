"""Blob triggers and admin invoke of storage triggers through the real local host and worker on
the embedded store: once per blob version (also across a restart), path parameters, name/uri/
length set, poison after 5 failures, admin invoke of a binary blob and of a queue message."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from quickfunc.host.storage.interface import NotFoundError
from tests.helpers import REPO_ROOT, app_path, run
from tests.integration.hostproc import LocalHostProcess, host_env


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("blobtriggers") / "app"
    shutil.copytree(app_path("host_blob_triggers"), target)
    return str(target)


@pytest.fixture(scope="module")
def host(app):
    with LocalHostProcess(app) as running:
        yield running


def _store(app: str, call: Any) -> Any:
    async def go() -> Any:
        store = EmbeddedStorage(store_path(app))
        try:
            return await call(store)
        finally:
            await store.close()

    return run(go())


def _put(app: str, path: str, data: bytes) -> None:
    container, _, name = path.partition("/")
    _store(app, lambda s: s.write_blob(container, name, data))


def _results(app: str, prefix: str) -> list[dict[str, Any]]:
    async def read(store: EmbeddedStorage) -> list[dict[str, Any]]:
        found = []
        for props in await store.list_blobs("results", prefix):
            blob = await store.read_blob("results", props.name)
            if blob is not None:
                found.append(json.loads(blob.data))
        return found

    return _store(app, read)


def _wait_results(app: str, prefix: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found = _results(app, prefix)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        found = _results(app, prefix)
    return found


def test_a_blob_written_fires_once_with_name_uri_and_length(app, host):
    key = f"a-{uuid.uuid4().hex[:8]}.txt"
    # seeded as a user would, with the storage command
    result = subprocess.run(
        [sys.executable, "-m", "quickfunc.command", "storage", app, "blob", "put", f"samples-workitems/{key}", "-"],
        cwd=REPO_ROOT,
        env=host_env(),
        input="héllo".encode(),
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    found = _wait_results(app, f"seen/{key}/", 1)
    assert len(found) == 1, host.output()
    record = found[0]
    assert record["name"] == f"samples-workitems/{key}"
    assert record["uri"].endswith(f"/samples-workitems/{key}")
    assert record["length"] == len("héllo".encode()) == record["size"]
    assert record["text"] == "héllo"
    # a few more scans pass: still once
    assert host.wait_for_line(f"blob 'samples-workitems/{key}'", 10)
    time.sleep(2.5)
    assert len(_results(app, f"seen/{key}/")) == 1


def test_changing_a_blob_fires_again(app, host):
    key = f"b-{uuid.uuid4().hex[:8]}"
    _put(app, f"samples-workitems/{key}", b"first")
    assert len(_wait_results(app, f"seen/{key}/", 1)) == 1
    _put(app, f"samples-workitems/{key}", b"second version")
    found = _wait_results(app, f"seen/{key}/", 2)
    assert sorted(r["text"] for r in found) == ["first", "second version"]
    assert {r["length"] for r in found} == {5, 14}


def test_path_parameters_are_bound(app, host):
    stem = f"doc-{uuid.uuid4().hex[:6]}"
    _put(app, f"parts/{stem}.csv", b"a,b")
    found = _wait_results(app, f"parts/csv/{stem}/", 1)
    assert len(found) == 1, host.output()
    assert found[0]["name"] == f"parts/{stem}.csv"


def test_poison_after_five_failures_and_no_more_retries(app, host):
    key = f"bad-{uuid.uuid4().hex[:6]}"
    _put(app, f"doomed/{key}", b"x")

    def poison() -> list[dict[str, Any]]:
        async def peek(store: EmbeddedStorage) -> list[dict[str, Any]]:
            try:
                messages = await store.peek_messages("webjobs-blobtrigger-poison", 32)
            except NotFoundError:
                return []
            return [json.loads(base64.b64decode(m.body)) for m in messages]

        return [m for m in _store(app, peek) if m["BlobName"] == key]

    deadline = time.monotonic() + 40
    while not poison() and time.monotonic() < deadline:
        time.sleep(0.3)
    found = poison()
    assert len(found) == 1, host.output()
    assert found[0]["ContainerName"] == "doomed"
    assert found[0]["FunctionId"] == "Host.Functions.doomed"
    assert host.count(f"cannot process doomed/{key}") >= 5
    attempts = host.count(f"blob 'doomed/{key}' failed")
    assert attempts == 5, host.output()
    time.sleep(5)  # more scans: the poisoned version is not retried
    assert host.count(f"blob 'doomed/{key}' failed") == 5


def test_a_restart_does_not_fire_a_blob_again(tmp_path):
    app = str(tmp_path / "app")
    shutil.copytree(app_path("host_blob_triggers"), app)
    _put(app, "samples-workitems/before", b"old")
    with LocalHostProcess(app):
        assert len(_wait_results(app, "seen/before/", 1)) == 1
    with LocalHostProcess(app) as again:
        _put(app, "samples-workitems/zzz-after", b"new")  # lists after 'before'
        assert len(_wait_results(app, "seen/zzz-after/", 1)) == 1, again.output()
        assert len(_results(app, "seen/before/")) == 1


def test_admin_invoke_of_a_blob_trigger_reads_a_binary_blob(app, host):
    data = bytes(range(256)) * 3
    key = f"{uuid.uuid4().hex[:8]}.bin"
    _put(app, f"stash/{key}", data)
    reply = host.post("/admin/functions/binary", json.dumps({"input": f"stash/{key}"}))
    assert reply.status == 202, reply.text
    found = _wait_results(app, f"binary/{key}/", 1)
    assert len(found) == 1, host.output()
    assert found[0]["sha"] == hashlib.sha256(data).hexdigest()
    assert found[0]["name"] == f"stash/{key}"
    assert found[0]["length"] == len(data)
    assert found[0]["uri"].endswith(f"/stash/{key}")
    missing = host.post("/admin/functions/binary", json.dumps({"input": "stash/nothing-here"}))
    assert missing.status == 400 and "stash/nothing-here" in missing.text


def test_admin_invoke_of_a_queue_trigger_has_full_metadata(app, host):
    body = f"hello-{uuid.uuid4().hex[:6]}"
    reply = host.post("/admin/functions/queued", json.dumps({"input": body}))
    assert reply.status == 202, reply.text
    # the output path uses {queueTrigger}: the message body as metadata
    found = _wait_results(app, f"queued/{body}/", 1)
    assert len(found) == 1, host.output()
    record = found[0]
    assert record["body"] == body
    assert record["dequeue_count"] == 1
    assert record["id"] and record["pop_receipt"]
    for key in ("insertion_time", "expiration_time", "time_next_visible"):
        assert record[key] != "None", record


def test_on_azurite_a_blob_fires_once_and_receipts_live_in_azure_webjobs_hosts(tmp_path, azurite):
    from quickfunc.host.storage.azure import AzureStorage

    app = str(tmp_path / "app")
    shutil.copytree(app_path("host_blob_triggers"), app)

    def azure(call: Any) -> Any:
        async def go() -> Any:
            store = AzureStorage(azurite.connection_string, "Azurite")
            try:
                return await call(store)
            finally:
                await store.close()

        return run(go())

    def results() -> list[str]:
        return [p.name for p in azure(lambda s: s.list_blobs("results", "seen/on-azurite/"))]

    azure(lambda s: s.write_blob("samples-workitems", "on-azurite", b"from azurite"))
    with LocalHostProcess(app, env={"AzureWebJobsStorage": azurite.connection_string}) as host:
        deadline = time.monotonic() + 20
        while not results() and time.monotonic() < deadline:
            time.sleep(0.3)
        names = results()
        assert len(names) == 1, host.output()
        blob = azure(lambda s: s.read_blob("results", names[0]))
        record = json.loads(blob.data)
        assert record["uri"] == f"http://127.0.0.1:{azurite.blob_port}/devstoreaccount1/samples-workitems/on-azurite"
        assert record["length"] == 12
    # the Azurite is shared by the session: other tests' receipts live beside this function's
    receipts = azure(lambda s: s.list_blobs("azure-webjobs-hosts", "blobreceipts/quickfunc/seen/"))
    assert [p.name for p in receipts] == ["blobreceipts/quickfunc/seen/samples-workitems/on-azurite"]
