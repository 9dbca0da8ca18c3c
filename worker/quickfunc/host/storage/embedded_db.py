"""The embedded store itself: queues and blobs in one sqlite file in WAL mode, every change one
transaction, so a process killed at any point leaves every committed change and nothing torn."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any, TypeVar

from quickfunc.host.ids import time_ordered_uuid
from quickfunc.host.storage.interface import (
    DEFAULT_MESSAGE_TTL,
    MAX_BATCH,
    NEVER_EXPIRES,
    Blob,
    BlobProperties,
    NotFoundError,
    QueueMessage,
    StorageError,
    check_blob_name,
    check_container_name,
    check_queue_name,
    message_text,
)
from quickfunc.host.storage.transactions import retry_busy, write_transaction

__all__ = ["EmbeddedDb", "BUSY_TIMEOUT_MS"]

#: how long a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_MS = 30_000
#: leases deleted by one statement (two host parameters each; old sqlite builds allow 999)
_DELETE_CHUNK = 400
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    inserted REAL NOT NULL,
    expires REAL,
    visible REAL NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    pop_receipt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue, visible, seq);
CREATE INDEX IF NOT EXISTS messages_by_expiry ON messages (queue, expires);
CREATE TABLE IF NOT EXISTS containers (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
    container TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    modified REAL NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (container, name)
);
"""


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def _new_etag() -> str:
    return f'"0x{uuid.uuid4().hex[:16].upper()}"'


def _message(row: sqlite3.Row, with_receipt: bool = True) -> QueueMessage:
    return QueueMessage(
        id=row["id"],
        body=bytes(row["body"]),
        dequeue_count=row["dequeue_count"],
        insertion_time=datetime.fromtimestamp(row["inserted"], timezone.utc),
        expiration_time=_time(row["expires"]),
        next_visible_time=_time(row["visible"]),
        pop_receipt=row["pop_receipt"] if with_receipt else "",
    )


def _properties(row: sqlite3.Row) -> BlobProperties:
    return BlobProperties(
        container=row["container"],
        name=row["name"],
        length=row["length"],
        content_type=row["content_type"],
        etag=row["etag"],
        last_modified=datetime.fromtimestamp(row["modified"], timezone.utc),
        metadata=json.loads(row["metadata"]),
    )


def _count(queue: str, max_messages: int) -> int:
    if not 1 <= max_messages <= MAX_BATCH:
        raise StorageError(f"ask queue {queue!r} for 1 to {MAX_BATCH} messages at a time (got {max_messages})")
    return max_messages


class EmbeddedDb:
    """One connection to the store file, safe to share between threads (calls take turns); other
    processes or connections may use the same file at once (sqlite's locking)."""

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._queues: set[str] = set()  # queues known to exist
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = self._wal_mode()
        if str(mode).lower() != "wal":
            raise StorageError(f"the embedded store {path} cannot use WAL mode (journal mode {mode})")
        # NORMAL in WAL mode: a killed process loses no committed transaction (a power cut may
        # lose the last few); FULL would fsync on every commit
        self._db.execute("PRAGMA synchronous = NORMAL")
        # executescript commits first, so the schema gets a transaction of its own
        self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        # from here on, waits for another process's lock are retry_busy's (short pauses)
        self._db.execute("PRAGMA busy_timeout = 0")

    def _wal_mode(self) -> str:
        """Switch to WAL. sqlite answers "database is locked" at once, without waiting for the busy
        timeout, while another process is creating or switching the same file: retry, bounded."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return str(self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction (taken at once, so two writers never deadlock on an upgrade)."""
        return write_transaction(self._lock, self._db, BUSY_TIMEOUT_MS / 1000)

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return retry_busy(lambda: fn(self._db), BUSY_TIMEOUT_MS / 1000)

    def _require_queue(self, db: sqlite3.Connection, queue: str) -> None:
        """NotFoundError unless the queue exists; queues are never deleted, so each is looked up
        once per connection."""
        if queue in self._queues:
            return
        check_queue_name(queue)
        if db.execute("SELECT 1 FROM queues WHERE name = ?", (queue,)).fetchone() is None:
            raise NotFoundError(f"the queue {queue!r} does not exist")
        self._queues.add(queue)

    # ---- queues --------------------------------------------------------------------------------

    def create_queue(self, queue: str) -> None:
        check_queue_name(queue)
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO queues (name, created) VALUES (?, ?)", (queue, self._clock()))

    def put_message(
        self, queue: str, body: bytes, visibility_timeout: float = 0, time_to_live: int = DEFAULT_MESSAGE_TTL
    ) -> QueueMessage:
        message_text(queue, body)
        if time_to_live != NEVER_EXPIRES and time_to_live <= 0:
            raise StorageError(f"a message's time to live must be above 0 or {NEVER_EXPIRES} (got {time_to_live})")
        with self._write() as db:
            self._require_queue(db, queue)
            now = self._clock()
            expires = None if time_to_live == NEVER_EXPIRES else now + time_to_live
            row = db.execute(
                "INSERT INTO messages (queue, id, body, inserted, expires, visible, pop_receipt) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (queue, time_ordered_uuid(), body, now, expires, now + max(0.0, visibility_timeout), uuid.uuid4().hex),
            ).fetchone()
        return _message(row)

    def receive_messages(self, queue: str, max_messages: int = 1, visibility_timeout: float = 30) -> list[QueueMessage]:
        count = _count(queue, max_messages)
        with self._write() as db:
            self._require_queue(db, queue)
            now = self._clock()
            db.execute("DELETE FROM messages WHERE queue = ? AND expires IS NOT NULL AND expires <= ?", (queue, now))
            rows = db.execute(
                "SELECT seq FROM messages WHERE queue = ? AND visible <= ? ORDER BY visible, seq LIMIT ?",
                (queue, now, count),
            ).fetchall()
            order = {row[0]: i for i, row in enumerate(rows)}
            if not order:
                return []
            # one statement leases them all; each gets its own random pop receipt
            taken = db.execute(
                "UPDATE messages SET dequeue_count = dequeue_count + 1, pop_receipt = lower(hex(randomblob(16))), "
                f"visible = ? WHERE seq IN ({','.join('?' * len(order))}) RETURNING *",
                (now + visibility_timeout, *order),
            ).fetchall()
        taken.sort(key=lambda row: order[row["seq"]])
        return [_message(row) for row in taken]

    def _leased(self, db: sqlite3.Connection, queue: str, message_id: str, pop_receipt: str) -> sqlite3.Row:
        self._require_queue(db, queue)
        row = db.execute("SELECT * FROM messages WHERE queue = ? AND id = ?", (queue, message_id)).fetchone()
        if row is None or row["pop_receipt"] != pop_receipt:
            raise NotFoundError(
                f"message {message_id} of queue {queue!r} is gone or was received again since "
                "(its pop receipt no longer matches)"
            )
        return row

    def delete_message(self, queue: str, message_id: str, pop_receipt: str) -> None:
        with self._write() as db:
            row = self._leased(db, queue, message_id, pop_receipt)
            db.execute("DELETE FROM messages WHERE seq = ?", (row["seq"],))

    def delete_messages(self, queue: str, leases: Sequence[tuple[str, str]]) -> list[str]:
        """Delete several received messages in one transaction; the ids already gone or received
        again since (pop receipt no longer matching), which are left as they are."""
        deleted: set[str] = set()
        with self._write() as db:
            self._require_queue(db, queue)
            for start in range(0, len(leases), _DELETE_CHUNK):
                chunk = leases[start : start + _DELETE_CHUNK]
                marks = ",".join("?" * len(chunk))
                # a pop receipt is random and new at every lease, so a row whose id and receipt are
                # both among the chunk's holds its own lease: one statement deletes them all
                rows = db.execute(
                    f"DELETE FROM messages WHERE id IN ({marks}) AND pop_receipt IN ({marks}) AND queue = ? "
                    "RETURNING id",
                    (*(i for i, _ in chunk), *(r for _, r in chunk), queue),
                ).fetchall()
                deleted.update(row[0] for row in rows)
        return [message_id for message_id, _ in leases if message_id not in deleted]

    def update_visibility(
        self, queue: str, message_id: str, pop_receipt: str, visibility_timeout: float
    ) -> QueueMessage:
        with self._write() as db:
            row = self._leased(db, queue, message_id, pop_receipt)
            db.execute(
                "UPDATE messages SET pop_receipt = ?, visible = ? WHERE seq = ?",
                (uuid.uuid4().hex, self._clock() + max(0.0, visibility_timeout), row["seq"]),
            )
            row = db.execute("SELECT * FROM messages WHERE seq = ?", (row["seq"],)).fetchone()
        return _message(row)

    def peek_messages(self, queue: str, max_messages: int = 1) -> list[QueueMessage]:
        count = _count(queue, max_messages)

        def peek(db: sqlite3.Connection) -> list[QueueMessage]:
            self._require_queue(db, queue)
            now = self._clock()
            rows = db.execute(
                "SELECT * FROM messages WHERE queue = ? AND visible <= ? AND (expires IS NULL OR expires > ?) "
                "ORDER BY visible, seq LIMIT ?",
                (queue, now, now, count),
            ).fetchall()
            return [_message(row, with_receipt=False) for row in rows]

        return self._read(peek)

    def queue_length(self, queue: str) -> int:
        def length(db: sqlite3.Connection) -> int:
            self._require_queue(db, queue)
            row = db.execute(
                "SELECT COUNT(*) FROM messages WHERE queue = ? AND (expires IS NULL OR expires > ?)",
                (queue, self._clock()),
            ).fetchone()
            return int(row[0])

        return self._read(length)

    # ---- blobs ---------------------------------------------------------------------------------

    def write_blob(
        self,
        container: str,
        name: str,
        data: bytes,
        content_type: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobProperties:
        check_container_name(container)
        check_blob_name(name)
        content_type = content_type or "application/octet-stream"
        with self._write() as db:
            now = self._clock()
            db.execute("INSERT OR IGNORE INTO containers (name, created) VALUES (?, ?)", (container, now))
            db.execute(
                "INSERT OR REPLACE INTO blobs (container, name, data, content_type, etag, modified, metadata) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (container, name, bytes(data), content_type, _new_etag(), now, json.dumps(dict(metadata or {}))),
            )
            row = db.execute(
                "SELECT *, length(data) AS length FROM blobs WHERE container = ? AND name = ?", (container, name)
            ).fetchone()
        return _properties(row)

    def read_blob(self, container: str, name: str) -> Blob | None:
        row = self._read(
            lambda db: db.execute(
                "SELECT *, length(data) AS length FROM blobs WHERE container = ? AND name = ?", (container, name)
            ).fetchone()
        )
        return None if row is None else Blob(bytes(row["data"]), _properties(row))

    def blob_properties(self, container: str, name: str) -> BlobProperties | None:
        row = self._read(
            lambda db: db.execute(
                "SELECT container, name, content_type, etag, modified, metadata, length(data) AS length "
                "FROM blobs WHERE container = ? AND name = ?",
                (container, name),
            ).fetchone()
        )
        return None if row is None else _properties(row)

    def list_blobs(self, container: str, prefix: str = "") -> list[BlobProperties]:
        def listing(db: sqlite3.Connection) -> list[Any]:
            return db.execute(
                "SELECT container, name, content_type, etag, modified, metadata, length(data) AS length "
                "FROM blobs WHERE container = ? AND substr(name, 1, ?) = ? ORDER BY name",
                (container, len(prefix), prefix),
            ).fetchall()

        return [_properties(row) for row in self._read(listing)]

    def delete_blob(self, container: str, name: str) -> bool:
        with self._write() as db:
            cursor = db.execute("DELETE FROM blobs WHERE container = ? AND name = ?", (container, name))
            return cursor.rowcount > 0
