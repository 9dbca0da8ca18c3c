"""The app's queues: queue outputs written after success, and a listener per queue-triggered
function, started once the app is up and stopped first at shutdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.invocations import Inputs
from quickfunc.host.queue_listener import QueueListener
from quickfunc.host.queue_output import QueueOutputs
from quickfunc.host.storage.interface import StorageBackend
from quickfunc.host.storage_triggers import listened_functions, stop_listeners

if TYPE_CHECKING:
    from quickfunc.host.config import HostConfig
    from quickfunc.host.invoker import Invoker
    from quickfunc.host.output import Console
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = ["QueueService"]


class QueueService:
    """Queue outputs and triggers of one running app."""

    def __init__(self, config: HostConfig, storage: StorageConnections, invoker: Invoker, console: Console) -> None:
        self.config = config
        self.storage = storage
        self.invoker = invoker
        self.console = console
        self.listeners: list[QueueListener] = []
        self.outputs = QueueOutputs(storage, config.settings, config.queues, console, self._enqueued)
        invoker.output_writer = self.outputs.write

    def _enqueued(self, backend: StorageBackend, queue: str) -> None:
        for listener in self.listeners:
            if listener.backend is backend and listener.queue == queue:
                listener.wake()

    async def _run(self, spec: FunctionSpec, inputs: Inputs, reason: str) -> bool:
        outcome = await self.invoker.run_reported(spec, inputs, reason)
        return outcome.ok

    def start(self, catalog: Catalog) -> None:
        """A listener for each queue-triggered function that can run."""
        settings = self.config.settings
        found = listened_functions(
            catalog, "queuetrigger", self.storage, lambda spec: QueueListener.queue_of(spec, settings)
        )
        for spec, backend, queue in found:
            listener = QueueListener(
                spec, backend, queue, self.config.queues, self._run, self.console, self.config.queues.lease
            )
            self.listeners.append(listener)
            listener.start()

    async def stop(self, deadline: float) -> bool:
        """Stop every listener, letting running messages finish until ``deadline`` (monotonic)."""
        return await stop_listeners(self.listeners, deadline)
