"""The messages one queue listener holds: one timer renews every lease near its end, and the
messages whose function succeeded are deleted in batches (one storage call for all that finished
since the last one); a host killed before a batch leaves its messages to come back later."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from quickfunc.host.storage.interface import NotFoundError, QueueMessage, StorageBackend, StorageError

__all__ = ["Leases"]

T = TypeVar("T")
#: how long the completions gather before one delete takes them all (seconds): a store
#: transaction costs ~0.2 ms, so fewer, larger ones are cheaper; the messages stay leased meanwhile
FLUSH_DELAY = 0.01


class Leases:
    """Received messages of one queue, by id, with their latest pop receipt. Renewals, batch
    deletes and the settling of failed messages take turns (one lock), so each uses the
    receipt the last one left."""

    def __init__(
        self,
        backend: StorageBackend,
        queue: str,
        lease: float,
        on_lost: Callable[[str], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.backend = backend
        self.queue = queue
        self.lease = lease
        self.on_lost = on_lost  # a message deleted or re-leased by another consumer
        self.on_error = on_error
        self._held: dict[str, QueueMessage] = {}
        self._since: dict[str, float] = {}  # when each lease was last taken or renewed (monotonic)
        self._lost: set[str] = set()
        self._done: list[str] = []  # succeeded, waiting for the next batch delete
        self._turn = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._timer: asyncio.Task[None] | None = None

    def hold(self, messages: list[QueueMessage]) -> None:
        """Messages just received (each leased for ``lease`` seconds)."""
        now = time.monotonic()
        for message in messages:
            self._held[message.id] = message
            self._since[message.id] = now
        if self._timer is None:
            self._timer = asyncio.create_task(self._renew_loop())

    def succeeded(self, message_id: str) -> None:
        """The message's function succeeded: delete it with the next batch."""
        self._done.append(message_id)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_loop())

    async def settle(self, message_id: str, action: Callable[[QueueMessage], Awaitable[T]]) -> T:
        """Let go of a message that is not deleted (retried or poisoned): ``action`` gets it with
        its current pop receipt, between renewals and batches."""
        async with self._turn:
            message = self._release(message_id)
            return await action(message)

    def forget(self, message_id: str) -> None:
        """Stop renewing a message left as it is (it comes back when its lease runs out)."""
        if message_id in self._held:
            self._release(message_id)

    async def close(self, timeout: float) -> bool:
        """Delete what has succeeded (bounded) and stop the renewal timer; True when all went."""
        done = True
        if self._flusher is not None:
            _, pending = await asyncio.wait({self._flusher}, timeout=max(timeout, 0.01))
            done = not pending
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
            self._timer = None
        return done

    # ---- inside --------------------------------------------------------------------------------

    def _release(self, message_id: str) -> QueueMessage:
        """Stop holding a message; NotFoundError when it is no longer held (received again after
        its lease ran out, and settled by the other delivery)."""
        self._since.pop(message_id, None)
        self._lost.discard(message_id)
        message = self._held.pop(message_id, None)
        if message is None:
            raise NotFoundError(f"message {message_id} is no longer held")
        return message

    async def _flush_loop(self) -> None:
        try:
            while self._done:
                await asyncio.sleep(FLUSH_DELAY)  # let the completions of the next moment join the batch
                async with self._turn:
                    batch, self._done = self._done, []
                    leases: list[tuple[str, str]] = []
                    gone: list[str] = []  # settled by another delivery of the same message
                    for message_id in batch:
                        if message_id in self._held:
                            leases.append((message_id, self._release(message_id).pop_receipt))
                        else:
                            gone.append(message_id)
                    try:
                        gone += await self.backend.delete_messages(self.queue, leases) if leases else []
                    except StorageError as exc:
                        self.on_error(f"deleting {len(leases)} processed message(s) failed: {exc}")
                for message_id in gone:
                    self.on_lost(message_id)
        finally:
            self._flusher = None

    async def _renew_loop(self) -> None:
        """One timer for all held messages: every quarter lease, renew those past half of it."""
        while True:
            await asyncio.sleep(self.lease / 4)
            async with self._turn:
                now = time.monotonic()
                due = [i for i, since in self._since.items() if now - since >= self.lease / 2 and i not in self._lost]
                for message_id in due:
                    await self._renew(message_id)

    async def _renew(self, message_id: str) -> None:
        held = self._held.get(message_id)
        if held is None:
            return
        try:
            self._held[message_id] = await self.backend.update_visibility(
                self.queue, held.id, held.pop_receipt, self.lease
            )
            self._since[message_id] = time.monotonic()
        except StorageError:
            self._lost.add(message_id)  # its delete or retry will say so
