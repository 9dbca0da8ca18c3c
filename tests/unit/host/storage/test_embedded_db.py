"""The embedded store alone: several consumers at once (threads, each with its own connection),
leases on a controlled clock, persistence across reopening, and a writer killed mid-loop."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage
from quickfunc.host.storage.embedded_db import EmbeddedDb
from quickfunc.host.storage.interface import NotFoundError
from tests.helpers import REPO_ROOT, run


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_several_consumers_in_threads_take_each_message_exactly_once(tmp_path):
    path = str(tmp_path / "s.db")
    producer = EmbeddedDb(path)
    producer.create_queue("work")
    total, consumers = 300, 4
    taken: list[list[bytes]] = [[] for _ in range(consumers)]
    done = threading.Event()

    def put_all() -> None:
        for i in range(total):
            producer.put_message("work", f"m{i}".encode())
        done.set()

    def consume(index: int) -> None:
        db = EmbeddedDb(path)  # its own connection, as another process would have
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                got = db.receive_messages("work", 8, 300)
                for message in got:
                    taken[index].append(message.body)
                    db.delete_message("work", message.id, message.pop_receipt)
                if not got:
                    if done.is_set() and db.queue_length("work") == 0:
                        return
                    time.sleep(0.005)
        finally:
            db.close()

    threads = [threading.Thread(target=put_all)] + [
        threading.Thread(target=consume, args=(i,)) for i in range(consumers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not any(t.is_alive() for t in threads)
    everything = [body for bodies in taken for body in bodies]
    assert sorted(everything) == sorted(f"m{i}".encode() for i in range(total))  # none lost, none twice
    assert producer.queue_length("work") == 0


def test_leases_expire_on_the_clock_and_dequeue_counts_rise(tmp_path):
    clock = Clock()
    db = EmbeddedDb(str(tmp_path / "s.db"), clock=clock)
    db.create_queue("qqq")
    db.put_message("qqq", b"a")
    db.put_message("qqq", b"b", visibility_timeout=100)
    [a1] = db.receive_messages("qqq", 32, 30)
    assert (a1.body, a1.dequeue_count) == (b"a", 1)
    clock.now += 29.9
    assert db.receive_messages("qqq", 32, 30) == []
    clock.now += 0.1  # the lease ends: a comes back
    [a2] = db.receive_messages("qqq", 32, 30)
    assert (a2.id, a2.dequeue_count) == (a1.id, 2)
    with pytest.raises(NotFoundError):
        db.delete_message("qqq", a1.id, a1.pop_receipt)
    clock.now += 70  # b becomes visible; a's second lease has ended too
    got = db.receive_messages("qqq", 32, 30)
    assert sorted((m.body, m.dequeue_count) for m in got) == [(b"a", 3), (b"b", 1)]


def test_expired_messages_are_gone(tmp_path):
    clock = Clock()
    db = EmbeddedDb(str(tmp_path / "s.db"), clock=clock)
    db.create_queue("qqq")
    db.put_message("qqq", b"short", time_to_live=10)
    db.put_message("qqq", b"forever", time_to_live=-1)
    clock.now += 10
    assert db.queue_length("qqq") == 1
    [left] = db.receive_messages("qqq", 32, 1)
    assert left.body == b"forever" and left.expiration_time is None


def test_everything_survives_reopening_and_a_lease_held_at_close_comes_back(tmp_path):
    path = str(tmp_path / "s.db")
    clock = Clock()
    db = EmbeddedDb(path, clock=clock)
    db.create_queue("qqq")
    db.put_message("qqq", b"leased")
    db.put_message("qqq", b"kept")
    db.receive_messages("qqq", 1, 60)  # held by a host that then goes away
    etag = db.write_blob("c-1", "x.txt", b"blob", "text/plain").etag
    db.close()
    again = EmbeddedDb(path, clock=clock)
    assert again.queue_length("qqq") == 2
    assert [m.body for m in again.receive_messages("qqq", 32, 600)] == [b"kept"]
    clock.now += 60
    [back] = again.receive_messages("qqq", 32, 60)
    assert (back.body, back.dequeue_count) == (b"leased", 2)
    blob = again.read_blob("c-1", "x.txt")
    assert blob is not None and (blob.data, blob.properties.etag) == (b"blob", etag)


_WRITER = """
import sys
from quickfunc.host.storage.embedded_db import EmbeddedDb
db = EmbeddedDb(sys.argv[1])
db.create_queue("qqq")
for i in range(1_000_000):
    db.put_message("qqq", b"m%d" % i)
    db.write_blob("c-1", "b%d" % (i % 50), b"x" * (i % 5000))
    print(i, flush=True)
"""


def test_a_writer_killed_mid_loop_leaves_every_committed_message_and_no_corruption(tmp_path):
    path = str(tmp_path / "s.db")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(REPO_ROOT, "worker"), REPO_ROOT])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, path], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT
    )
    assert proc.stdout is not None
    committed = -1
    deadline = time.monotonic() + 30
    try:
        while committed < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            committed = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert committed >= 300, "the writer did not get going"
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    db = EmbeddedDb(path)
    bodies = {m.body for m in db.peek_messages("qqq", 32)}
    assert len(bodies) == 32
    count = db.queue_length("qqq")
    assert count >= committed + 1  # every message it said it wrote (one more may have committed)
    received = set()
    for _ in range(count // 32 + 2):
        received |= {m.body for m in db.receive_messages("qqq", 32, 300)}
    assert {b"m%d" % i for i in range(committed + 1)} <= received
    assert len(db.list_blobs("c-1")) == 50


def test_the_store_folder_is_made_on_first_use_with_a_gitignore(tmp_path):
    path = tmp_path / "app" / ".quickfunc" / "storage.db"

    async def body() -> None:
        store = EmbeddedStorage(str(path), ".quickfunc/storage.db")
        assert store.description == "embedded (.quickfunc/storage.db)"
        assert not path.parent.exists()  # nothing written by merely resolving to it
        await store.create_queue("qqq")
        await store.close()

    run(body())
    assert path.exists()
    assert (path.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    mode = sqlite3.connect(str(path)).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def _open_and_close(path: str, results: Any) -> None:
    try:
        EmbeddedDb(path).close()
        results.put("ok")
    except Exception as exc:  # the failure is the finding
        results.put(repr(exc))


def test_processes_opening_a_new_store_at_once_all_get_it():
    """sqlite answers "database is locked" at once while another process switches the new file
    to WAL; opening retries (e.g. `quickfunc storage` while the host creates the store)."""
    import multiprocessing
    import tempfile

    context = multiprocessing.get_context("fork")
    failures = []
    for _ in range(15):
        path = os.path.join(tempfile.mkdtemp(), "storage.db")
        results = context.Queue()
        procs = [context.Process(target=_open_and_close, args=(path, results)) for _ in range(6)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(30)
        failures += [r for r in (results.get(timeout=5) for _ in procs) if r != "ok"]
    assert failures == []


def test_message_ids_are_time_ordered_uuids_unique_across_connections(tmp_path):
    """Version 7 (RFC 9562): GUID text as Azure's ids are, and made one after another they sort
    together, which keeps the store's id index compact under a stream of puts and deletes."""
    import uuid

    path = str(tmp_path / "s.db")
    first, second = EmbeddedDb(path), EmbeddedDb(path)
    first.create_queue("qqq")
    ids = []
    for db in (first, second, first):
        ids.append(db.put_message("qqq", b"m").id)
        time.sleep(0.003)  # the ids' clock counts milliseconds
    assert all(uuid.UUID(i).version == 7 and str(uuid.UUID(i)) == i for i in ids)
    assert sorted(ids) == ids
    many = {first.put_message("qqq", b"m").id for _ in range(200)} | {
        second.put_message("qqq", b"m").id for _ in range(200)
    }
    assert len(many) == 400
