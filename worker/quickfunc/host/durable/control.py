"""Management changes to an instance beyond start and terminate: suspend and resume (recorded in
its history as the Durable Task framework does) and the purge of one instance, each one store
transaction answering with the HTTP status the extension gives."""

from __future__ import annotations

import json
import time

from quickfunc.host.durable.history import FINAL, Ev, Status, event
from quickfunc.host.durable.store import DurableStore

__all__ = ["suspend", "resume", "purge_one", "SUSPENDED"]

SUSPENDED = Status.SUSPENDED


def _append(store: DurableStore, instance_id: str, kind: int, reason: str, status: str) -> None:
    with store.write() as db:
        seq = db.execute(
            "SELECT COALESCE(MAX(seq), -1) + 1 FROM durable_history WHERE instance = ?", (instance_id,)
        ).fetchone()[0]
        db.execute(
            "INSERT INTO durable_history (instance, seq, event) VALUES (?, ?, ?)",
            (instance_id, seq, json.dumps(event(kind, Reason=reason))),
        )
        db.execute(
            "UPDATE durable_instances SET status = ?, updated = ? WHERE id = ?", (status, time.time(), instance_id)
        )


def _status(store: DurableStore, instance_id: str) -> str | None:
    instance = store.get(instance_id)
    return None if instance is None else instance.status


def suspend(store: DurableStore, instance_id: str, reason: str) -> int:
    """202 suspended (no episode runs until it is resumed; events wait), 404 unknown, 410 ended."""
    status = _status(store, instance_id)
    if status is None:
        return 404
    if status in FINAL:
        return 410
    if status != SUSPENDED:
        _append(store, instance_id, Ev.EXECUTION_SUSPENDED, reason, SUSPENDED)
    return 202


def resume(store: DurableStore, instance_id: str, reason: str) -> int:
    """202 resumed (a suspended instance runs again), 404 unknown, 410 ended."""
    status = _status(store, instance_id)
    if status is None:
        return 404
    if status in FINAL:
        return 410
    if status == SUSPENDED:
        _append(store, instance_id, Ev.EXECUTION_RESUMED, reason, Status.RUNNING)
    return 202


def purge_one(store: DurableStore, instance_id: str) -> tuple[int, int]:
    """(HTTP status, instances deleted): 404 unknown, 412 not ended yet, 200 purged."""
    status = _status(store, instance_id)
    if status is None:
        return 404, 0
    if status not in FINAL:
        return 412, 0
    return 200, store.purge([instance_id])
