"""A function returning None through a queue or blob ``$return``: the official worker hands None
to the library's converter, which refuses it, so the invocation fails (protocol §8.4); a value
still goes out. Through the real local host and worker on the embedded store."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from tests.helpers import app_path, run
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("return_none") / "app"
    shutil.copytree(app_path("host_return_none"), target)
    return str(target)


@pytest.fixture(scope="module")
def host(app):
    process = LocalHostProcess(app).start()
    yield process
    process.close()


def _queue_texts(app: str, queue: str) -> list[str]:
    async def peek() -> list[str]:
        store = EmbeddedStorage(store_path(app))
        try:
            return [base64.b64decode(m.body).decode() for m in await store.peek_messages(queue, 32)]
        finally:
            await store.close()

    return run(peek())


def _blob_count(app: str, container: str) -> int:
    async def listing() -> int:
        store = EmbeddedStorage(store_path(app))
        try:
            return len(await store.list_blobs(container))
        finally:
            await store.close()

    return run(listing())


def _invoke(host, function: str, text: str) -> None:
    reply = host.post(f"/admin/functions/{function}", json.dumps({"input": text}))
    assert reply.status == 202, reply.body


@pytest.mark.parametrize("function", ["queue_none", "blob_none"])
def test_none_to_a_queue_or_blob_return_fails_the_invocation_naming_the_binding(host, function):
    start = len(host.lines)
    _invoke(host, function, "none")
    line = host.wait_for_line(r"returned None, and this binding does not take None", timeout=20, start=start)
    assert line is not None and "func.Out" in host.output()
    assert host.wait_for_line(rf"Executed '{function}' \(Failed", timeout=20, start=start)


def test_a_value_still_goes_out_and_nothing_went_out_for_the_failures(app, host):
    for function in ("queue_none", "blob_none"):
        start = len(host.lines)
        _invoke(host, function, "hello")
        assert host.wait_for_line(rf"Executed '{function}' \(Succeeded", timeout=20, start=start)
    assert _queue_texts(app, "outbox") == ["hello"]
    assert _blob_count(app, "out") == 1
