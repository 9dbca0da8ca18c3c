"""The queue listener on the embedded store with a stand-in for the invoker: completed messages
are deleted in batches (a failed one never), a host killed before a batch loses nothing, one
timer renews the leases of long-running messages, and retries and poisonings get their lines."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.invocations import Inputs
from quickfunc.host.output import Console
from quickfunc.host.queue_listener import QueueListener
from quickfunc.host.queue_options import QueueOptions
from quickfunc.host.storage.embedded import EmbeddedStorage
from quickfunc.host.storage.embedded_db import EmbeddedDb
from quickfunc.protos import pb
from tests.helpers import REPO_ROOT, run

QUEUE = "work-items"
WAIT = 20.0  # generous bound for a loaded machine


def _spec() -> FunctionSpec:
    trigger = Binding("item", "queueTrigger", "in", {"queueName": QUEUE, "connection": "AzureWebJobsStorage"})
    return FunctionSpec("Work", "fn-1", pb.RpcFunctionMetadata(name="Work"), [trigger])


def _body(inputs: Inputs) -> str:
    return next(iter(inputs.data.values())).string


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def _listen(tmp_path, options: QueueOptions, fails: Callable[[str, int], bool], lease: float = 600, **kw):
    """Start a listener whose function records each body and fails when ``fails(body, nth)``."""
    store = EmbeddedStorage(str(tmp_path / "storage.db"))
    await store.create_queue(QUEUE)
    calls: Counter[str] = Counter()
    console_out = io.StringIO()

    async def fake_run(spec: FunctionSpec, inputs: Inputs, reason: str) -> bool:
        body = _body(inputs)
        calls[body] += 1
        if kw.get("hold"):
            await kw["hold"](body)
        return not fails(body, calls[body])

    listener = QueueListener(_spec(), store, QUEUE, options, fake_run, Console(console_out, color=False), lease)
    return store, listener, calls, console_out


async def _put(store: EmbeddedStorage, *bodies: str) -> None:
    for body in bodies:
        await store.put_message(QUEUE, base64.b64encode(body.encode()))


def test_a_message_whose_function_failed_is_not_deleted_with_the_batch_of_the_others(tmp_path):
    async def body() -> None:
        options = QueueOptions(visibility_timeout=0)
        store, listener, calls, out = await _listen(tmp_path, options, lambda b, nth: b == "bad" and nth == 1)
        await _put(store, "a", "b", "bad", "c", "d")
        listener.start()
        try:
            assert await _until(lambda: _drained(store, calls)), (calls, out.getvalue())
        finally:
            assert await listener.stop(5)
            listener.console.close()
            await store.close()
        assert calls == {"a": 1, "b": 1, "bad": 2, "c": 1, "d": 1}
        assert "failed (dequeue count 1 of 5); retried, next visible in 0s" in out.getvalue()

    async def _drained(store: EmbeddedStorage, calls: Counter[str]) -> bool:
        return calls["bad"] == 2 and await store.queue_length(QUEUE) == 0

    run(body())


def test_a_message_failing_its_last_delivery_is_poisoned_with_a_line_saying_so(tmp_path):
    async def body() -> None:
        options = QueueOptions(visibility_timeout=0, max_dequeue_count=2)
        store, listener, calls, out = await _listen(tmp_path, options, lambda b, nth: b == "doomed")
        await _put(store, "doomed", "fine")
        listener.start()
        try:
            assert await _until(lambda: _poisoned(store)), out.getvalue()
        finally:
            assert await listener.stop(5)
            listener.console.close()
            await store.close()
        assert calls == {"doomed": 2, "fine": 1}
        text = out.getvalue()
        assert "failed (dequeue count 1 of 2); retried, next visible in 0s" in text
        assert f"of queue '{QUEUE}' failed 2 times; moved to '{QUEUE}-poison' (poisoned)" in text

    async def _poisoned(store: EmbeddedStorage) -> bool:
        await store.create_queue(f"{QUEUE}-poison")
        return await store.queue_length(f"{QUEUE}-poison") == 1 and await store.queue_length(QUEUE) == 0

    run(body())


def test_one_timer_keeps_long_running_messages_leased_past_their_visibility_timeout(tmp_path):
    lease = 1.0
    release = asyncio.Event()
    started: set[str] = set()

    async def hold(body: str) -> None:
        started.add(body)
        await release.wait()

    async def body() -> None:
        nonlocal release
        release = asyncio.Event()
        store, listener, calls, out = await _listen(
            tmp_path, QueueOptions(), lambda b, nth: False, lease=lease, hold=hold
        )
        await _put(store, "x", "y", "z")
        other = EmbeddedDb(str(tmp_path / "storage.db"))  # another consumer of the same queue
        listener.start()
        try:
            assert await _until(lambda: _true(len(started) == 3)), out.getvalue()
            names = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
            renewers = [n for n in names if "renew" in n.lower()]
            assert len(renewers) == 1, renewers
            held_until = time.monotonic() + 3 * lease  # three leases long, all still running
            while time.monotonic() < held_until:
                assert await asyncio.to_thread(other.receive_messages, QUEUE, 3, 30) == []
                await asyncio.sleep(0.1)
            release.set()
            assert await _until(lambda: _empty(store)), out.getvalue()
        finally:
            release.set()
            assert await listener.stop(5)
            listener.console.close()
            other.close()
            await store.close()
        assert calls == {"x": 1, "y": 1, "z": 1}
        assert "lost to another consumer" not in out.getvalue()

    async def _true(value: bool) -> bool:
        return value

    async def _empty(store: EmbeddedStorage) -> bool:
        return await store.queue_length(QUEUE) == 0

    run(body())


_KILLED_HOST = """
import asyncio, sys
from quickfunc.host.output import Console
from quickfunc.host.queue_listener import QueueListener
from quickfunc.host.queue_options import QueueOptions
from quickfunc.host.storage.embedded import EmbeddedStorage
from tests.unit.host.test_queue_listener import QUEUE, _body, _spec

async def main(path):
    store = EmbeddedStorage(path)

    async def never_done(queue, leases):  # the batch delete starts and never commits
        print("flushing", len(leases), flush=True)
        await asyncio.Event().wait()

    store.delete_messages = never_done

    async def fake_run(spec, inputs, reason):
        print("done", _body(inputs), flush=True)
        return True

    listener = QueueListener(_spec(), store, QUEUE, QueueOptions(), fake_run, Console(sys.stderr), 60.0)
    listener.start()
    await asyncio.Event().wait()

asyncio.run(main(sys.argv[1]))
"""


def test_a_host_killed_after_completions_but_before_the_batch_delete_gets_them_back(tmp_path):
    path = str(tmp_path / "storage.db")
    db = EmbeddedDb(path)
    db.create_queue(QUEUE)
    bodies = [f"m{i}" for i in range(5)]
    for text in bodies:
        db.put_message(QUEUE, base64.b64encode(text.encode()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([REPO_ROOT, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_KILLED_HOST), path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in child.stdout or ():
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        done: set[str] = set()
        flushing = 0
        deadline = time.monotonic() + WAIT
        while (len(done) < len(bodies) or flushing < len(bodies)) and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            word, _, rest = line.strip().partition(" ")
            if word == "done":
                done.add(rest)
            elif word == "flushing":
                flushing += int(rest)
        assert done == set(bodies) and flushing == len(bodies)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert db.queue_length(QUEUE) == len(bodies)  # nothing was deleted
    later = EmbeddedDb(path, clock=lambda: time.time() + 61)  # once the 60 s leases have run out
    again = later.receive_messages(QUEUE, 32, 30)
    assert sorted(base64.b64decode(m.body).decode() for m in again) == bodies
    assert {m.dequeue_count for m in again} == {2}
    later.close()
    db.close()


def test_a_message_delivered_twice_to_one_listener_is_deleted_once_and_the_other_reported(tmp_path):
    from quickfunc.host.queue_leases import Leases

    async def body() -> None:
        store = EmbeddedStorage(str(tmp_path / "storage.db"))
        await store.create_queue(QUEUE)
        await _put(store, "twice")
        lost: list[str] = []
        errors: list[str] = []
        leases = Leases(store, QUEUE, 60, lost.append, errors.append)  # no renewal during the test
        try:
            [first] = await store.receive_messages(QUEUE, 1, 0.05)
            leases.hold([first])
            await asyncio.sleep(0.1)  # its lease runs out (it was received for 0.05 s)
            [again] = await store.receive_messages(QUEUE, 1, 30)
            leases.hold([again])  # the same message, leased anew
            leases.succeeded(first.id)
            leases.succeeded(again.id)
            assert await leases.close(5)
            assert await store.queue_length(QUEUE) == 0
            assert lost == [first.id] and errors == []
        finally:
            await leases.close(1)
            await store.close()

    run(body())


def test_a_stop_during_a_receive_runs_the_messages_it_brings_instead_of_stranding_them(tmp_path):
    """The storage leases a batch, then the host stops before the answer arrives: the batch runs
    in the drain and is deleted (cancelled, it stayed leased for the whole lease; found by the
    scale-out test of scripts/container_test.py, where 16 messages waited out 10 minutes)."""

    async def body() -> None:
        store, listener, calls, out = await _listen(tmp_path, QueueOptions(), lambda b, nth: False)
        await _put(store, "a", "b")
        real_receive = store.receive_messages
        leased, answer = asyncio.Event(), asyncio.Event()

        async def slow_receive(queue: str, count: int, lease: float) -> list:
            got = await real_receive(queue, count, lease)
            if got:
                leased.set()
                await answer.wait()  # the answer is on its way back when the stop comes
            return got

        store.receive_messages = slow_receive
        listener.start()
        try:
            await asyncio.wait_for(leased.wait(), WAIT)
            stopping = asyncio.create_task(listener.stop(WAIT))
            await asyncio.sleep(0.1)
            answer.set()
            assert await stopping, out.getvalue()
            assert calls == {"a": 1, "b": 1}, out.getvalue()
            assert await store.queue_length(QUEUE) == 0
        finally:
            listener.console.close()
            await store.close()

    run(body())
