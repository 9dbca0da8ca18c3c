"""Queue output bindings: after a function succeeds, each message its queue outputs hold is put on
the binding's queue, on the backend its connection resolved to, one console line per message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from quickfunc.host.queue_messages import MessageError, encode_message, output_messages, resolve_settings
from quickfunc.host.queue_options import QueueOptions
from quickfunc.host.storage.interface import StorageBackend, StorageError

if TYPE_CHECKING:
    from quickfunc.host.invoker import Outcome
    from quickfunc.host.output import Console
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = ["QueueOutputError", "QueueOutputs"]

_SHOWN = 200  # characters of a message shown on its console line


class QueueOutputError(Exception):
    """A queue output that could not be written; the message names function, binding and queue."""


class QueueOutputs:
    """Writes the queue outputs of successful invocations."""

    def __init__(
        self,
        storage: StorageConnections,
        settings: Mapping[str, str],
        options: QueueOptions,
        console: Console,
        on_enqueued: Callable[[StorageBackend, str], None] | None = None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.options = options
        self.console = console
        self.on_enqueued = on_enqueued
        self._created: set[tuple[int, str]] = set()

    async def write(self, outcome: Outcome) -> set[str]:
        """Enqueue the outcome's queue messages; the names of the bindings handled (so they are
        not also shown as plain output lines). QueueOutputError when one cannot be written."""
        handled: set[str] = set()
        spec = outcome.function
        for binding in spec.outputs:
            if binding.type.lower() != "queue":
                continue
            handled.add(binding.name)
            value = outcome.output(binding.name)
            if value is None or value.WhichOneof("data") is None:
                continue
            where = f"function {spec.name}, queue output {binding.name!r}"
            try:
                queue = resolve_settings(str(binding.get("queueName") or ""), self.settings, where).lower()
                plain = output_messages(value)
                messages = [(encode_message(m, self.options.message_encoding), m) for m in plain]
            except MessageError as exc:
                raise QueueOutputError(f"{where}: {exc}" if not str(exc).startswith(where) else str(exc)) from None
            resolved = self.storage.get(str(binding.get("connection") or ""))
            if resolved is None:
                raise QueueOutputError(f"{where}: its storage connection was not resolved at start")
            backend = resolved.backend
            try:
                await self._create(backend, queue)
                for stored, payload in messages:
                    await backend.put_message(queue, stored)
                    shown = payload.decode("utf-8", "replace")
                    self.console.output_binding(spec.name, outcome.invocation_id, "queue", queue, shown[:_SHOWN])
            except StorageError as exc:
                raise QueueOutputError(f"{where}: could not enqueue on {queue!r}: {exc}") from None
            if self.on_enqueued is not None:
                self.on_enqueued(backend, queue)
        return handled

    async def _create(self, backend: StorageBackend, queue: str) -> None:
        key = (id(backend), queue)
        if key not in self._created:
            await backend.create_queue(queue)
            self._created.add(key)
