"""Queue outputs and queue triggers through the real local host and worker on the embedded store:
an HTTP output consumed by a trigger, retries with dequeue counts, poison after maxDequeueCount,
and outputs written only when the function succeeds."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest

from quickfunc.host.storage.embedded import store_path
from quickfunc.host.storage.embedded_db import EmbeddedDb
from quickfunc.host.storage.interface import NotFoundError
from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("queues") / "app"
    shutil.copytree(app_path("host_queues"), target)
    return target


@pytest.fixture(scope="module")
def host(app):
    with LocalHostProcess(str(app)) as running:
        yield running


@pytest.fixture(scope="module")
def store(app, host):
    db = _wait(lambda: _open(str(app)), timeout=10)
    assert db is not None, "cannot open the embedded store"
    yield db
    db.close()


def _open(app: str) -> EmbeddedDb | None:
    """The app's store; None while the host is still creating it (its first open switches the
    file to WAL mode, which a second opener sees as "database is locked")."""
    try:
        return EmbeddedDb(store_path(app))
    except sqlite3.OperationalError:
        return None


def _messages(store: EmbeddedDb, queue: str) -> list[Any]:
    """The queue's visible messages, decoded (base64, then JSON when it parses)."""
    try:
        found = store.peek_messages(queue, 32)
    except NotFoundError:
        return []
    out = []
    for message in found:
        text = base64.b64decode(message.body).decode()
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            out.append(text)
    return out


def _length(store: EmbeddedDb, queue: str) -> int:
    try:
        return store.queue_length(queue)
    except NotFoundError:
        return 0


def _wait(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.02) + 1):
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
    return check()


def _results(store: EmbeddedDb, function: str, body: str) -> list[dict[str, Any]]:
    return [r for r in _messages(store, "results") if r["function"] == function and r["body"] == body]


def test_an_http_queue_output_triggers_the_queue_function_within_two_seconds(host, store):
    start = time.monotonic()
    reply = host.get("/api/enqueue?text=hello")
    assert reply.status == 200, reply.text
    found = _wait(lambda: _results(store, "worker", "hello"))
    elapsed = time.monotonic() - start
    assert found == [{"function": "worker", "body": "hello", "count": 1}], host.output()
    assert elapsed < 2.0, f"the trigger took {elapsed:.2f}s"
    assert host.wait_for_line(r"enqueue \([0-9a-f]{8}\) output queue 'work': hello")
    assert _wait(lambda: _length(store, "work") == 0), "the message was not deleted after success"


def test_a_list_output_is_one_message_each_and_a_failing_message_is_redelivered_until_it_succeeds(host, store):
    reply = host.get("/api/many?texts=twice:2,once:0")
    assert reply.status == 200, reply.text
    twice = _wait(lambda: _results(store, "flaky", "twice:2"))
    once = _wait(lambda: _results(store, "flaky", "once:0"))
    assert [r["count"] for r in twice] == [3], host.output()
    assert [r["count"] for r in once] == [1]
    assert _wait(lambda: _length(store, "flaky") == 0)
    assert _wait(lambda: host.count(r"flaky got twice:2, dequeue count") == 3, timeout=5), host.output()
    assert host.wait_for_line(r"message .* of queue 'flaky' failed \(dequeue count 2 of 5\)")
    assert _wait(lambda: host.count(r"Executed 'flaky' \(Failed") == 2, timeout=5), host.output()


def test_a_message_that_always_fails_moves_to_the_poison_queue_after_five_deliveries(host, store):
    reply = host.get("/api/poison?item=book")
    assert reply.status == 200, reply.text
    poisoned = _wait(lambda: _messages(store, "doomed-poison"))
    assert poisoned == [{"item": "book"}], host.output()
    assert host.wait_for_line(r"doomed: message .* of queue 'doomed' failed 5 times; moved to 'doomed-poison'")
    assert _wait(lambda: _length(store, "doomed") == 0), "the poisoned message stayed on its queue"
    assert _wait(lambda: host.count(r"Executed 'doomed' \(Failed") == 5, timeout=5), host.output()


def test_a_function_that_fails_writes_no_queue_output(host, store):
    reply = host.get("/api/failing-output")
    assert reply.status == 500
    assert _length(store, "never") == 0
    assert _wait(lambda: host.count(r"output queue 'never'") == 0, timeout=5), host.output()


def test_an_output_that_cannot_be_written_fails_the_invocation_naming_binding_and_setting(host):
    reply = host.get("/api/unset-queue")
    assert reply.status == 500
    line = host.wait_for_line(r"unset_queue \([0-9a-f]{8}\) failed: ")
    assert line is not None and "function unset_queue, queue output 'msg'" in line, host.output()
    assert "the app setting 'NOT_SET' (written %NOT_SET%) is not set" in line


def test_a_worker_that_dies_mid_invocation_gets_its_message_redelivered(host, store):
    """Last in the module: it kills the shared worker (the pool starts a new one)."""
    reply = host.get("/api/crash?text=survivor")
    assert reply.status == 200, reply.text
    found = _wait(lambda: _results(store, "crashy", "survivor"), timeout=40)
    assert found == [{"function": "crashy", "body": "survivor", "count": 2}], host.output()
    assert _wait(lambda: host.count(r"Executed 'crashy' \(Failed") == 1, timeout=5), host.output()
    assert _wait(lambda: _length(store, "crashy") == 0)


def test_the_chain_runs_on_azurite_and_reads_messages_other_sdk_users_wrote(app, azurite, tmp_path):
    """HTTP → queue → queue trigger → queue, on a real Azurite; a base64 message put with the
    SDK is read as its text."""
    from azure.storage.queue import BinaryBase64DecodePolicy, BinaryBase64EncodePolicy, QueueClient

    copy = tmp_path / "azurite-app"
    shutil.copytree(app_path("host_queues"), copy)

    def client(name: str) -> QueueClient:
        return QueueClient.from_connection_string(
            azurite.connection_string,
            name,
            message_encode_policy=BinaryBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )

    def results(body: str) -> list[dict[str, Any]]:
        with client("results") as queue:
            try:
                found = [json.loads(m.content) for m in queue.peek_messages(max_messages=32)]
            except Exception:  # the queue is not there yet
                return []
        return [r for r in found if r["function"] == "worker" and r["body"] == body]

    with LocalHostProcess(str(copy), env={"AzureWebJobsStorage": azurite.connection_string}) as running:
        assert f"Storage AzureWebJobsStorage: Azurite at 127.0.0.1:{azurite.blob_port}" in running.output()
        start = time.monotonic()
        assert running.get("/api/enqueue?text=via-azurite").status == 200
        found = _wait(lambda: results("via-azurite"))
        elapsed = time.monotonic() - start
        assert found == [{"function": "worker", "body": "via-azurite", "count": 1}], running.output()
        assert elapsed < 2.0, f"the trigger took {elapsed:.2f}s"
        with client("work") as queue:
            queue.send_message(b"from the sdk")
        assert _wait(lambda: results("from the sdk")), running.output()
