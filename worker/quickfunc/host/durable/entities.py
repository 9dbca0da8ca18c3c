"""Durable entities: operations queue per entity (``@name@key``) in the store; a batch of them
runs through the entity function (the library's entity protocol), its new state and the replies
to calling orchestrators committed in one transaction."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.durable.history import Ev, event
from quickfunc.host.durable.store import DurableStore
from quickfunc.host.invocations import Inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.output import Console
from quickfunc.protos import pb

__all__ = ["ENTITY", "entity_id", "EntityRunner", "read_entity", "queue_operation"]

ENTITY = "entitytrigger"
T = TypeVar("T")
#: operations handed to the entity function at once
_BATCH = 100


def entity_id(name: str, key: str) -> str:
    """The scheduler id the library uses for an entity."""
    return f"@{name.lower()}@{key}"


def _split(scheduler_id: str) -> tuple[str, str]:
    name, _, key = scheduler_id[1:].partition("@")
    return name, key


def read_entity(store: DurableStore, scheduler_id: str) -> str | None:
    """The entity's state as JSON text, or None when it does not exist."""
    row = store.read(
        lambda db: db.execute("SELECT state FROM durable_entities WHERE id = ?", (scheduler_id,)).fetchone()
    )
    return None if row is None else row[0]


def queue_operation(store: DurableStore, scheduler_id: str, op: dict[str, Any]) -> None:
    with store.write() as db:
        db.execute("INSERT INTO durable_inbox (instance, event) VALUES (?, ?)", (scheduler_id, json.dumps(op)))


def _take(store: DurableStore, scheduler_id: str) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
    def read(db: sqlite3.Connection) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
        rows = db.execute(
            "SELECT seq, event FROM durable_inbox WHERE instance = ? ORDER BY seq LIMIT ?", (scheduler_id, _BATCH)
        ).fetchall()
        state = db.execute("SELECT state FROM durable_entities WHERE id = ?", (scheduler_id,)).fetchone()
        return [(r[0], json.loads(r[1])) for r in rows], None if state is None else state[0]

    return store.read(read)


def _commit(
    store: DurableStore,
    scheduler_id: str,
    seqs: list[int],
    state: str | None,
    replies: list[tuple[str, dict[str, Any]]],
) -> list[str]:
    """Drop the handled operations, keep the state (None: the entity is deleted), queue the
    replies; the instances that got one."""
    name, key = _split(scheduler_id)
    woken = []
    with store.write() as db:
        db.execute(f"DELETE FROM durable_inbox WHERE seq IN ({','.join('?' * len(seqs))})", seqs)
        if state is None:
            db.execute("DELETE FROM durable_entities WHERE id = ?", (scheduler_id,))
        else:
            db.execute(
                "INSERT OR REPLACE INTO durable_entities (id, name, key, state, updated) VALUES (?, ?, ?, ?, ?)",
                (scheduler_id, name, key, state, time.time()),
            )
        for instance_id, ev in replies:
            if DurableStore.notify(db, instance_id, ev, {}):
                woken.append(instance_id)
    return woken


def _reply(guid: str, result: str, error: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"result": result}
    if error:
        body["exceptionType"] = "Exception"
    return event(Ev.EVENT_RAISED, Name=guid, Input=json.dumps(body))


class _Engine(Protocol):
    """What the runner uses of the engine (engine.DurableEngine)."""

    invoker: Invoker
    console: Console
    activity_slots: asyncio.Semaphore

    async def call(self, fn: Callable[..., T], *args: Any) -> T: ...

    def find(self, name: str, kind: str) -> FunctionSpec | None: ...

    def kick(self, instance_id: str) -> None: ...


class EntityRunner:
    """Runs each entity's queued operations in order, one batch at a time per entity."""

    def __init__(self, engine: _Engine) -> None:
        self.engine = engine
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def kick(self, scheduler_id: str) -> None:
        if scheduler_id in self._running:
            self._again.add(scheduler_id)
            return
        self._running[scheduler_id] = asyncio.ensure_future(self._batches(scheduler_id))

    def tasks(self) -> list[asyncio.Task[None]]:
        return list(self._running.values())

    async def _batches(self, scheduler_id: str) -> None:
        try:
            while True:
                self._again.discard(scheduler_id)
                try:
                    more = await self._batch(scheduler_id)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # keep the engine going; say what happened
                    self.engine.console.error(f"Durable Functions: entity {scheduler_id} could not run: {exc!r}")
                    return
                if not more and scheduler_id not in self._again:
                    return
        finally:
            self._running.pop(scheduler_id, None)

    async def _batch(self, scheduler_id: str) -> bool:
        """Run one batch; True if operations are left."""
        ops, state = await self.engine.call(_take, scheduler_id)
        if not ops:
            return False
        name, key = _split(scheduler_id)
        spec = self.engine.find(name, ENTITY)
        results: list[tuple[str, bool]]
        new_state = state
        if spec is None or spec.trigger is None:
            why = f"The function '{name}' doesn't exist, is disabled, or is not an entity function."
            results = [(json.dumps(why), True)] * len(ops)
        else:
            batch = [
                {
                    "name": op["op"],
                    "input": json.dumps(op["input"]) if op.get("input") is not None else "null",
                    "signal": op.get("signal", False),
                    "id": op.get("guid"),
                }
                for _, op in ops
            ]
            context = {"self": {"name": name, "key": key}, "state": state, "exists": state is not None, "batch": batch}
            inputs = Inputs(data={spec.trigger.name: pb.TypedData(string=json.dumps(context))})
            async with self.engine.activity_slots:
                outcome = await self.engine.invoker.invoke(spec, inputs)
            if outcome.unavailable:
                await asyncio.sleep(1.0)
                return True
            parsed = _parse(outcome.output("$return")) if outcome.ok else None
            if parsed is None:
                why = f"Entity function '{spec.name}' failed: {outcome.error or 'it returned no entity state'}"
                results = [(json.dumps(why), True)] * len(ops)
            else:
                new_state = parsed.get("entityState") if parsed.get("entityExists") else None
                got = parsed.get("results") or []
                results = [(str(r.get("result")), bool(r.get("isError"))) for r in got]
                results = (results + [("null", False)] * len(ops))[: len(ops)]
        replies = [
            (op["reply_to"], _reply(op["guid"], result, error))
            for (_, op), (result, error) in zip(ops, results, strict=True)
            if op.get("reply_to")
        ]
        woken = await self.engine.call(_commit, scheduler_id, [seq for seq, _ in ops], new_state, replies)
        for instance_id in woken:
            self.engine.kick(instance_id)
        return len(ops) == _BATCH


def _parse(value: pb.TypedData | None) -> dict[str, Any] | None:
    if value is None or value.WhichOneof("data") not in ("json", "string"):
        return None
    try:
        parsed = json.loads(getattr(value, str(value.WhichOneof("data"))))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
