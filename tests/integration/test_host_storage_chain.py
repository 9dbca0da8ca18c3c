"""The storage chain through the real local host and workers, on the embedded store and on a real
Azurite: HTTP -> queue output -> queue trigger -> blob output -> blob trigger -> final blob; a blob
this host writes wakes the blob trigger at once; per-blob console lines; identity-based
connections said in the banner."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from tests.helpers import app_path, run
from tests.integration.hostproc import LocalHostProcess

#: the longest a blob trigger waits between scans when idle (blob_listener.MAX_SCAN is 4 s)
IDLE_SCAN = 4.0


def _copy_app(tmp_path: Any) -> str:
    target = str(tmp_path / "app")
    shutil.copytree(app_path("host_storage_chain"), target)
    return target


class Store:
    """The test's own view of the storage the host uses: the app's embedded file, or Azurite."""

    def __init__(self, app: str, connection_string: str = "") -> None:
        self.app = app
        self.connection_string = connection_string

    def _call(self, method: str, *args: Any) -> Any:
        async def go() -> Any:
            if self.connection_string:
                from quickfunc.host.storage.azure import AzureStorage

                store: Any = AzureStorage(self.connection_string, "Azurite")
            else:
                store = EmbeddedStorage(store_path(self.app))
            try:
                return await getattr(store, method)(*args)
            finally:
                await store.close()

        return run(go())

    def put(self, container: str, name: str, data: bytes) -> None:
        self._call("write_blob", container, name, data)

    def read(self, container: str, name: str) -> bytes | None:
        blob = self._call("read_blob", container, name)
        return None if blob is None else blob.data

    def read_json(self, container: str, name: str) -> dict[str, Any] | None:
        data = self.read(container, name)
        return None if data is None else json.loads(data)

    def wait_json(self, container: str, name: str, timeout: float = 20.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        found = self.read_json(container, name)
        while found is None and time.monotonic() < deadline:
            time.sleep(0.05)
            found = self.read_json(container, name)
        return found


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[tuple[LocalHostProcess, Store]]:
    app = _copy_app(tmp_path_factory.mktemp("chain"))
    with LocalHostProcess(app) as host:
        yield host, Store(app)


def _run_chain(host: LocalHostProcess, store: Store) -> tuple[dict[str, Any], float]:
    order = f"o-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    reply = host.post(f"/api/orders/{order}", json.dumps({"item": "book"}))
    assert reply.status == 202, reply.text
    done = store.wait_json("chain-done", f"{order}.json")
    elapsed = time.monotonic() - start
    assert done is not None, host.output()
    assert done["id"] == order and done["item"] == "book"
    assert done["stages"] == ["http", "queue", "blob"]  # each step ran, in order
    assert done["dequeue_count"] == 1
    assert done["blob"] == f"chain-stage/{order}.json"
    stage = store.read("chain-stage", f"{order}.json")
    assert stage is not None and json.loads(stage)["stages"] == ["http", "queue"]
    assert done["length"] == len(stage)
    return done, elapsed


def test_the_chain_runs_end_to_end_on_the_embedded_store(embedded):
    host, store = embedded
    done, elapsed = _run_chain(host, store)
    # every hop wakes the next one: well under one idle scan interval of the blob trigger
    assert elapsed < IDLE_SCAN, (elapsed, host.output())
    assert host.wait_for_line(rf"finish \([0-9a-f]{{8}}\) finished order {done['id']}")


def test_the_same_chain_runs_against_azurite(tmp_path, azurite):
    app = _copy_app(tmp_path)
    env = {"AzureWebJobsStorage": azurite.connection_string}
    with LocalHostProcess(app, env=env) as host:
        where = f"Azurite at 127.0.0.1:{azurite.blob_port}/{azurite.queue_port}"
        assert host.wait_for_line(rf"^Storage AzureWebJobsStorage: {re.escape(where)}$", 1), host.output()
        _, elapsed = _run_chain(host, Store(app, azurite.connection_string))
        assert elapsed < IDLE_SCAN, (elapsed, host.output())
    assert not (tmp_path / "app" / ".quickfunc").exists()  # nothing went to the embedded store


def _woken_at_once(host: LocalHostProcess, store: Store) -> None:
    """Let the blob trigger back off (scans at start, +2 s, +6 s), write its blob through an HTTP
    function's blob output 2.5 s after start and time how soon the trigger has run."""
    time.sleep(2.5)
    key = f"d-{uuid.uuid4().hex[:8]}"
    reply = host.post(f"/api/direct/{key}")
    written = time.monotonic()  # the output is written before the HTTP answer
    assert reply.status == 201, reply.text
    done = store.wait_json("chain-done", f"{key}.json", timeout=10)
    took = time.monotonic() - written
    assert done is not None and done["stages"] == ["http", "blob"], host.output()
    # polling alone would find it at the next scan, about 3.5 s later
    assert took < 2.0, (took, host.output())


def test_a_blob_written_by_this_host_wakes_its_blob_trigger_at_once(tmp_path):
    app = _copy_app(tmp_path)
    with LocalHostProcess(app) as host:
        _woken_at_once(host, Store(app))


def test_on_azurite_too_a_blob_written_by_this_host_wakes_its_blob_trigger(tmp_path, azurite):
    app = _copy_app(tmp_path)
    with LocalHostProcess(app, env={"AzureWebJobsStorage": azurite.connection_string}) as host:
        _woken_at_once(host, Store(app, azurite.connection_string))


def test_each_blob_written_triggered_retried_and_poisoned_has_its_console_line(embedded):
    host, store = embedded
    done, _ = _run_chain(host, store)
    order = done["id"]
    stage = f"chain-stage/{order}.json"
    assert host.wait_for_line(rf"\] stage \([0-9a-f]{{8}}\) wrote blob '{stage}' \(\d+ bytes\)$", 1)
    assert host.wait_for_line(rf"\] finish: blob '{stage}' detected \(\d+ bytes\)$", 1)
    assert host.wait_for_line(rf"Executed 'finish' \(Succeeded, Id=[0-9a-f-]+, Duration=\d+ms\) \(blob '{stage}'", 1)
    assert host.wait_for_line(rf"\] finish \([0-9a-f]{{8}}\) wrote blob 'chain-done/{order}.json' \(\d+ bytes\)$", 1)

    key = f"r-{uuid.uuid4().hex[:6]}"
    store.put("chain-refused", key, b"no")
    path = f"chain-refused/{key}"
    poisoned = host.wait_for_line(rf"\] refused: blob '{path}' failed 5 times; reported to queue", 30)
    assert poisoned is not None, host.output()
    assert poisoned.endswith("reported to queue 'webjobs-blobtrigger-poison' and not retried")
    assert host.count(rf"\] refused: blob '{path}' detected \(2 bytes\)$") == 1
    for attempt in range(2, 6):
        assert host.count(rf"\] refused: blob '{path}' detected \(2 bytes, attempt {attempt} of 5\)$") == 1
    for failure in range(1, 5):
        assert host.count(rf"\] refused: blob '{path}' failed \({failure} of 5\); retried on the next scan$") == 1
    assert host.count(rf"Executed 'refused' \(Failed, .*\(blob '{path}'") == 5


def test_an_identity_based_connection_is_said_in_the_banner(tmp_path):
    app = _copy_app(tmp_path)
    env = {"AzureWebJobsStorage__blobServiceUri": "https://acct.blob.core.windows.net"}
    with LocalHostProcess(app, env=env) as host:
        line = host.wait_for_line(r"^Storage AzureWebJobsStorage: ", 1)
        assert line == (
            "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) (NOT the account: "
            "AzureWebJobsStorage__blobServiceUri makes AzureWebJobsStorage an identity-based connection, "
            "which the local host cannot use; set AzureWebJobsStorage to a connection string)"
        ), host.output()
