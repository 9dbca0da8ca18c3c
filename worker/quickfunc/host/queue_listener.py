"""Queue triggers: one listener per queue-triggered function polls its queue (at once while
messages come, backing off to maxPollingInterval when idle), runs each message through the
invoker, deletes it after success, retries it after visibilityTimeout, poisons it after
maxDequeueCount failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.invocations import Inputs
from quickfunc.host.output import Console
from quickfunc.host.queue_leases import Leases
from quickfunc.host.queue_messages import (
    MessageError,
    decode_message,
    resolve_settings,
    trigger_data,
    trigger_metadata,
)
from quickfunc.host.queue_options import MIN_POLLING_INTERVAL, QueueOptions
from quickfunc.host.storage.interface import MAX_BATCH, NotFoundError, QueueMessage, StorageBackend, StorageError

__all__ = ["QueueListener", "LEASE_SECONDS", "Run"]

#: how long a received message stays hidden while its function runs (renewed past halfway)
LEASE_SECONDS = 600.0
#: runs one invocation and says whether it succeeded
Run = Callable[[FunctionSpec, Inputs, str], Awaitable[bool]]


class QueueListener:
    """Feeds one function the messages of one queue."""

    def __init__(
        self,
        spec: FunctionSpec,
        backend: StorageBackend,
        queue: str,
        options: QueueOptions,
        run: Run,
        console: Console,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.spec = spec
        self.backend = backend
        self.queue = queue
        self.poison_queue = f"{queue}-poison"
        self.options = options
        self.run = run
        self.console = console
        self.lease = lease
        self._wake = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._poison_created = False
        self.leases = Leases(backend, queue, lease, self._lost, self._storage_error)

    @staticmethod
    def queue_of(spec: FunctionSpec, settings: Mapping[str, str]) -> str:
        """The trigger's queue name, %AppSetting% resolved; MessageError when it cannot be."""
        trigger = spec.trigger
        raw = str(trigger.get("queueName") or "") if trigger is not None else ""
        if not raw:
            raise MessageError(f"function {spec.name}: its queue trigger names no queue (queueName)")
        return resolve_settings(raw, settings, f"function {spec.name}, queue trigger").lower()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    def wake(self) -> None:
        """A message was just put on the queue: poll now."""
        self._wake.set()

    async def stop(self, timeout: float) -> bool:
        """Take no more messages and wait (bounded) for the running ones; True when all ended.
        A receive under way is let finish (within the same bound) and its messages run with the
        others: cancelled, the storage could have leased them already, to a host that would never
        run them, and they would wait out the whole lease (10 minutes) before another host could."""
        self._stopping = True
        self._wake.set()
        self._slot_free.set()
        deadline = time.monotonic() + timeout
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=max(timeout, 0.01))
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        pending: set[asyncio.Task[None]] = set()
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=max(deadline - time.monotonic(), 0.01))
        flushed = await self.leases.close(deadline - time.monotonic())
        return not pending and flushed

    def _storage_error(self, text: str) -> None:
        self.console.error(f"queue trigger {self.spec.name}, queue {self.queue!r}: {text}")

    # ---- polling -------------------------------------------------------------------------------

    async def _listen(self) -> None:
        delay = MIN_POLLING_INTERVAL
        try:
            await self.backend.create_queue(self.queue)
        except StorageError as exc:
            self.console.error(f"queue trigger {self.spec.name}: cannot use queue {self.queue!r}: {exc}")
            return
        limit = self.options.batch_size + self.options.fetch_threshold
        while not self._stopping:
            if len(self._running) > self.options.fetch_threshold:
                self._slot_free.clear()
                await self._slot_free.wait()
                if self._stopping:
                    break
            want = min(self.options.batch_size, limit - len(self._running), MAX_BATCH)
            try:
                messages = await self.backend.receive_messages(self.queue, want, self.lease)
            except StorageError as exc:
                self.console.error(f"queue trigger {self.spec.name}: receiving from {self.queue!r} failed: {exc}")
                messages = []
            if messages:
                delay = MIN_POLLING_INTERVAL
                self.leases.hold(messages)
                for message in messages:
                    task = asyncio.create_task(self._process(message))
                    self._running.add(task)
                    task.add_done_callback(self._done)
                continue
            if self._stopping:
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                delay = MIN_POLLING_INTERVAL
            except asyncio.TimeoutError:
                delay = min(delay * 2, self.options.max_polling_interval)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if len(self._running) <= self.options.fetch_threshold:
            self._slot_free.set()
        if not task.cancelled() and task.exception() is not None:
            self.console.error(f"queue trigger {self.spec.name}: {task.exception()!r}")

    # ---- one message ---------------------------------------------------------------------------

    async def _process(self, message: QueueMessage) -> None:
        settled = False
        try:
            if await self._invoke(message):
                self.leases.succeeded(message.id)
            else:
                await self.leases.settle(message.id, lambda leased: self._retry_or_poison(message, leased.pop_receipt))
            settled = True
        except NotFoundError:
            settled = True
            self._lost(message.id)
        finally:
            if not settled:  # it comes back once its lease runs out
                self.leases.forget(message.id)

    async def _retry_or_poison(self, message: QueueMessage, pop_receipt: str) -> None:
        if message.dequeue_count >= self.options.max_dequeue_count:
            await self._poison(message, pop_receipt)
            return
        timeout = self.options.visibility_timeout
        await self.backend.update_visibility(self.queue, message.id, pop_receipt, timeout)
        self.console.warning(
            f"{self.spec.name}: message {message.id} of queue {self.queue!r} failed "
            f"(dequeue count {message.dequeue_count} of {self.options.max_dequeue_count}); "
            f"retried, next visible in {timeout:g}s"
        )

    def _lost(self, message_id: str) -> None:
        self.console.warning(
            f"{self.spec.name}: message {message_id} of queue {self.queue!r} was lost to another "
            "consumer (its lease ran out); it may run again"
        )

    async def _invoke(self, message: QueueMessage) -> bool:
        trigger = self.spec.trigger
        assert trigger is not None
        try:
            payload = decode_message(message.body, self.options.message_encoding)
        except MessageError as exc:
            self.console.error(f"{self.spec.name}: message {message.id} of queue {self.queue!r}: {exc}")
            return False
        inputs = Inputs(
            {trigger.name: trigger_data(payload, str(trigger.get("dataType") or ""))},
            trigger_metadata(message, payload),
        )
        reason = f"(queue {self.queue!r}, message {message.id}, dequeue count {message.dequeue_count})"
        return await self.run(self.spec, inputs, reason)

    async def _poison(self, leased: QueueMessage, pop_receipt: str) -> None:
        if not self._poison_created:
            await self.backend.create_queue(self.poison_queue)
            self._poison_created = True
        await self.backend.put_message(self.poison_queue, leased.body)
        await self.backend.delete_message(self.queue, leased.id, pop_receipt)
        self.console.error(
            f"{self.spec.name}: message {leased.id} of queue {self.queue!r} failed "
            f"{leased.dequeue_count} times; moved to {self.poison_queue!r} (poisoned)"
        )
