"""Durable state in the embedded store's sqlite file (tables of its own): instances, their history,
the events waiting for their next episode (inbox) and pending work (activities, timers); every
change is one transaction, so a killed host resumes from exactly what was committed."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from quickfunc.host.durable.history import FINAL, Ev, Status, event
from quickfunc.host.durable.records import Instance, NewInstance, Notice, Plan, Work
from quickfunc.host.storage.transactions import write_transaction

__all__ = ["DurableStore", "Instance", "Work", "Plan", "NewInstance", "Notice"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS durable_instances (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, input TEXT, output TEXT,
    custom_status TEXT, created REAL NOT NULL, updated REAL NOT NULL, parent TEXT, parent_task INTEGER,
    parent_meta TEXT,
    next_id INTEGER NOT NULL DEFAULT 0, actions_done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS durable_history (
    instance TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (instance, seq)
);
CREATE TABLE IF NOT EXISTS durable_inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, event TEXT NOT NULL, meta TEXT
);
CREATE TABLE IF NOT EXISTS durable_entities (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, key TEXT NOT NULL, state TEXT, updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS durable_inbox_by_instance ON durable_inbox (instance, seq);
CREATE TABLE IF NOT EXISTS durable_work (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, kind TEXT NOT NULL,
    task_id INTEGER NOT NULL, name TEXT NOT NULL, input TEXT, due REAL NOT NULL, meta TEXT
);
"""


def _instance(row: sqlite3.Row) -> Instance:
    return Instance(**{key: row[key] for key in row.keys()})


class DurableStore:
    """The durable tables of one store file; calls take turns on one connection."""

    def __init__(self, path: str) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        ignore = os.path.join(folder, ".gitignore")
        if not os.path.exists(ignore):  # as the embedded store does: keep it out of the user's repository
            with open(ignore, "w", encoding="utf-8") as f:
                f.write("# written by quickfunc: local storage, not part of the app\n*\n")
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the connection (reads only)."""
        with self._lock:
            return fn(self._db)

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction."""
        return write_transaction(self._lock, self._db)

    # ---- reading -------------------------------------------------------------------------------

    def get(self, instance_id: str) -> Instance | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM durable_instances WHERE id = ?", (instance_id,)).fetchone()
        return _instance(row) if row else None

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT event FROM durable_history WHERE instance = ? ORDER BY seq", (instance_id,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def inbox(self, instance_id: str) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event, meta FROM durable_inbox WHERE instance = ? ORDER BY seq", (instance_id,)
            ).fetchall()
        return [(row[0], json.loads(row[1]), json.loads(row[2] or "{}")) for row in rows]

    def waiting_instances(self) -> list[str]:
        """Instances with events not yet handled by an episode."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT instance FROM durable_inbox").fetchall()
        return [row[0] for row in rows]

    def all_work(self) -> list[Work]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM durable_work ORDER BY seq").fetchall()
        return [
            Work(
                r["kind"],
                r["task_id"],
                r["name"],
                r["input"],
                r["due"],
                json.loads(r["meta"] or "{}"),
                r["instance"],
                r["seq"],
            )
            for r in rows
        ]

    def query(
        self,
        statuses: list[str] | None = None,
        created_from: float | None = None,
        created_to: float | None = None,
        prefix: str = "",
    ) -> list[Instance]:
        sql = "SELECT * FROM durable_instances WHERE 1=1"
        args: list[Any] = []
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args.extend(statuses)
        if created_from is not None:
            sql += " AND created >= ?"
            args.append(created_from)
        if created_to is not None:
            sql += " AND created <= ?"
            args.append(created_to)
        if prefix:
            sql += " AND substr(id, 1, ?) = ?"
            args.extend([len(prefix), prefix])
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created", args).fetchall()
        return [_instance(row) for row in rows]

    # ---- changes -------------------------------------------------------------------------------

    def create(self, instance_id: str, name: str, input_text: str | None, replace_running: bool = False) -> bool:
        """Start an instance (again, if it had ended); False if one with that id is still running
        (unless ``replace_running``: it is replaced, its pending work dropped)."""
        with self.write() as db:
            row = db.execute("SELECT status FROM durable_instances WHERE id = ?", (instance_id,)).fetchone()
            if row is not None and row[0] not in FINAL and not replace_running:
                return False
            if row is not None:
                self._forget(db, instance_id)
            self._insert(db, NewInstance(instance_id, name, input_text, "", -1))
        return True

    @staticmethod
    def _forget(db: sqlite3.Connection, instance_id: str) -> None:
        for table, column in (
            ("durable_instances", "id"),
            ("durable_history", "instance"),
            ("durable_inbox", "instance"),
            ("durable_work", "instance"),
        ):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (instance_id,))

    @staticmethod
    def _insert(db: sqlite3.Connection, new: NewInstance) -> None:
        now = time.time()
        db.execute(
            "INSERT OR REPLACE INTO durable_instances (id, name, status, input, created, updated, parent,"
            " parent_task, parent_meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.id,
                new.name,
                Status.PENDING,
                new.input,
                now,
                now,
                new.parent or None,
                new.parent_task,
                json.dumps(new.parent_meta) if new.parent_meta else None,
            ),
        )
        start = event(Ev.EXECUTION_STARTED, Name=new.name, Input=new.input, Version="")
        db.execute("INSERT INTO durable_inbox (instance, event) VALUES (?, ?)", (new.id, json.dumps(start)))

    def apply(self, plan: Plan) -> bool:
        """Commit one episode; False (nothing changed) if the instance ended meanwhile."""
        with self.write() as db:
            row = db.execute("SELECT status, created FROM durable_instances WHERE id = ?", (plan.instance,)).fetchone()
            if row is None or row[0] in FINAL or (plan.created and row[1] != plan.created):
                return False  # ended, or replaced by a new start, meanwhile
            if row[0] == Status.SUSPENDED and plan.status not in FINAL:
                plan.status = Status.SUSPENDED  # suspended while the episode ran: it stays so
            if plan.consumed:
                db.execute(
                    f"DELETE FROM durable_inbox WHERE seq IN ({','.join('?' * len(plan.consumed))})", plan.consumed
                )
            if plan.restart:
                db.execute("DELETE FROM durable_history WHERE instance = ?", (plan.instance,))
                start = event(Ev.EXECUTION_STARTED, Input=plan.restart_input, Version="")
                db.execute(
                    "INSERT INTO durable_inbox (instance, event) VALUES (?, ?)", (plan.instance, json.dumps(start))
                )
            else:
                base = db.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM durable_history WHERE instance = ?", (plan.instance,)
                ).fetchone()[0]
                db.executemany(
                    "INSERT INTO durable_history (instance, seq, event) VALUES (?, ?, ?)",
                    [(plan.instance, base + i, json.dumps(e)) for i, e in enumerate(plan.history)],
                )
            db.execute(
                "UPDATE durable_instances SET status = ?, output = ?, custom_status = ?, updated = ?, next_id = ?,"
                " actions_done = ?, input = CASE WHEN ? THEN ? ELSE input END WHERE id = ?",
                (
                    plan.status,
                    plan.output,
                    plan.custom_status,
                    time.time(),
                    plan.next_id,
                    plan.actions_done,
                    plan.restart,
                    plan.restart_input,
                    plan.instance,
                ),
            )
            for w in plan.work:
                w.instance = plan.instance
                w.seq = (
                    db.execute(
                        "INSERT INTO durable_work (instance, kind, task_id, name, input, due, meta)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (plan.instance, w.kind, w.task_id, w.name, w.input, w.due, json.dumps(w.meta)),
                    ).lastrowid
                    or 0
                )
            for child in plan.children:
                self._forget(db, child.id)
                self._insert(db, child)
            for notice in plan.notices:
                if notice.entity:
                    db.execute(
                        "INSERT INTO durable_inbox (instance, event) VALUES (?, ?)",
                        (notice.instance, json.dumps(notice.event)),
                    )
                else:
                    self.notify(db, notice.instance, notice.event, notice.meta)
        return True

    @staticmethod
    def notify(db: sqlite3.Connection, instance_id: str, ev: dict[str, Any], meta: dict[str, Any]) -> bool:
        row = db.execute("SELECT status FROM durable_instances WHERE id = ?", (instance_id,)).fetchone()
        if row is None or row[0] in FINAL:
            return False
        db.execute(
            "INSERT INTO durable_inbox (instance, event, meta) VALUES (?, ?, ?)",
            (instance_id, json.dumps(ev), json.dumps(meta) if meta else None),
        )
        return True

    def finish_work(self, work: Work, ev: dict[str, Any], meta: dict[str, Any] | None = None) -> bool:
        """An activity ended or a timer fired: drop the work, queue the event (one transaction).
        True if the instance has a new event to handle."""
        with self.write() as db:
            if db.execute("DELETE FROM durable_work WHERE seq = ?", (work.seq,)).rowcount != 1:
                return False  # already done (or dropped by terminate): the result is not queued twice
            return self.notify(db, work.instance, ev, meta or {})

    def raise_event(self, instance_id: str, name: str, input_text: str | None) -> int:
        """202 queued, 404 no such instance, 410 it has ended."""
        with self.write() as db:
            row = db.execute("SELECT status FROM durable_instances WHERE id = ?", (instance_id,)).fetchone()
            if row is None:
                return 404
            if row[0] in FINAL:
                return 410
            self.notify(db, instance_id, event(Ev.EVENT_RAISED, Name=name, Input=input_text), {})
        return 202

    def terminate(self, instance_id: str, reason: str) -> int:
        """202 terminated, 404 no such instance, 410 it had ended."""
        with self.write() as db:
            row = db.execute("SELECT status FROM durable_instances WHERE id = ?", (instance_id,)).fetchone()
            if row is None:
                return 404
            if row[0] in FINAL:
                return 410
            db.execute("DELETE FROM durable_inbox WHERE instance = ?", (instance_id,))
            db.execute("DELETE FROM durable_work WHERE instance = ?", (instance_id,))
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM durable_history WHERE instance = ?", (instance_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO durable_history (instance, seq, event) VALUES (?, ?, ?)",
                (instance_id, seq, json.dumps(event(Ev.EXECUTION_TERMINATED, Input=json.dumps(reason)))),
            )
            db.execute(
                "UPDATE durable_instances SET status = ?, output = ?, updated = ? WHERE id = ?",
                (Status.TERMINATED, json.dumps(reason), time.time(), instance_id),
            )
        return 202

    def purge(self, instance_ids: list[str]) -> int:
        """Delete instances and everything about them; how many there were."""
        with self.write() as db:
            count = 0
            for instance_id in instance_ids:
                if db.execute("SELECT 1 FROM durable_instances WHERE id = ?", (instance_id,)).fetchone():
                    count += 1
                self._forget(db, instance_id)
        return count
