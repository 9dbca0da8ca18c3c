"""One sqlite write transaction under a lock, taken at once (BEGIN IMMEDIATE) so that two writers
never deadlock on a lock upgrade; shared by the embedded store and the durable engine's store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["write_transaction"]


@contextmanager
def write_transaction(lock: threading.Lock | threading.RLock, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Commit what the block did, or roll it all back if it raised."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
