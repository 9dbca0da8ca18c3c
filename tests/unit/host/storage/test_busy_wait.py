"""Waiting for another process's write: the store retries in short pauses of its own instead of
sqlite's busy handler, whose growing sleeps lose every race against a writer in a loop."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from quickfunc.host.storage import transactions
from quickfunc.host.storage.embedded_db import EmbeddedDb
from quickfunc.host.storage.transactions import LONGEST_PAUSE, retry_busy


def _busy() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("database is locked")


def test_busy_calls_are_retried_in_short_pauses_until_they_succeed(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(transactions.time, "sleep", pauses.append)
    fails = iter(range(40))

    def call() -> str:
        if next(fails, None) is not None:
            raise _busy()
        return "done"

    assert retry_busy(call, 30.0) == "done"
    assert len(pauses) == 40
    assert max(pauses) <= LONGEST_PAUSE
    assert pauses[0] < 0.001


def test_other_errors_are_not_retried_and_a_lock_held_too_long_gives_up(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(transactions.time, "sleep", pauses.append)

    def broken() -> None:
        raise sqlite3.OperationalError("no such table: messages")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_busy(broken, 30.0)
    assert pauses == []

    now = [0.0]
    monkeypatch.setattr(transactions.time, "monotonic", lambda: now[0])

    def locked() -> None:
        now[0] += 0.5
        raise _busy()

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        retry_busy(locked, 2.0)
    assert 3 <= len(pauses) <= 5


def test_the_store_waits_for_another_connections_write_with_its_own_short_pauses(tmp_path):
    path = str(tmp_path / "s.db")
    db = EmbeddedDb(path)
    db.create_queue("qqq")
    # sqlite's own busy handler is off: the waits are retry_busy's
    assert db._db.execute("PRAGMA busy_timeout").fetchone()[0] == 0
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    done = threading.Event()
    results: list[object] = []

    def put() -> None:
        try:
            results.append(db.put_message("qqq", b"m"))
        except Exception as exc:  # the failure is the finding
            results.append(exc)
        done.set()

    thread = threading.Thread(target=put)
    thread.start()
    try:
        assert not done.wait(0.3), "the put did not wait for the other connection's transaction"
    finally:
        other.execute("COMMIT")
    assert done.wait(10)
    thread.join(10)
    assert not isinstance(results[0], Exception), results
    assert db.queue_length("qqq") == 1
    other.close()
    db.close()
