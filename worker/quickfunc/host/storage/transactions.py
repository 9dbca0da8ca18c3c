"""One sqlite write transaction under a lock, taken at once (BEGIN IMMEDIATE) so that two writers
never deadlock on a lock upgrade; shared by the embedded store and the durable engine's store.
Waits for another process's transaction in short steps of its own (``retry_busy``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["write_transaction", "retry_busy", "is_busy"]

T = TypeVar("T")
#: the first and the longest pause between two tries while another connection holds the lock
#: (seconds). sqlite's own busy handler sleeps 1, 2, 5, 10, ... 100 ms, and so loses nearly every
#: race against a process that writes in a loop: waiters here try again within a fraction of a
#: transaction's length.
FIRST_PAUSE = 0.00005
LONGEST_PAUSE = 0.001
#: sqlite's result code for "database is locked" (sqlite3.SQLITE_BUSY from Python 3.11)
_SQLITE_BUSY = 5


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds the lock ("database is locked")."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    return code == _SQLITE_BUSY if code is not None else "database is locked" in str(exc)


def retry_busy(fn: Callable[[], T], timeout: float) -> T:
    """``fn()``, tried again after short pauses while it fails with SQLITE_BUSY, for at most
    ``timeout`` seconds; for a connection whose own busy timeout is 0."""
    try:
        return fn()
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE
    while True:
        time.sleep(pause)
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        pause = min(pause * 1.5, LONGEST_PAUSE)


@contextmanager
def write_transaction(
    lock: threading.Lock | threading.RLock, db: sqlite3.Connection, busy_wait: float = 0.0
) -> Iterator[sqlite3.Connection]:
    """Commit what the block did, or roll it all back if it raised. ``busy_wait``: how long to
    retry BEGIN while another process writes (for a connection whose own busy timeout is 0)."""
    with lock:
        if busy_wait:
            retry_busy(lambda: db.execute("BEGIN IMMEDIATE"), busy_wait)
        else:
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
