"""The app's blob triggers: a listener per blob-triggered function, started once the app is up
and stopped first at shutdown (the blob being processed finishes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quickfunc.host.blob_listener import BlobListener
from quickfunc.host.blob_trigger_data import BlobPattern
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.invocations import Inputs
from quickfunc.host.storage.interface import StorageBackend
from quickfunc.host.storage_triggers import listened_functions, stop_listeners

if TYPE_CHECKING:
    from quickfunc.host.config import HostConfig
    from quickfunc.host.invoker import Invoker
    from quickfunc.host.output import Console
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = ["BlobTriggerService"]


class BlobTriggerService:
    """Blob triggers of one running app."""

    def __init__(self, config: HostConfig, storage: StorageConnections, invoker: Invoker, console: Console) -> None:
        self.config = config
        self.storage = storage
        self.invoker = invoker
        self.console = console
        self.listeners: list[BlobListener] = []
        if invoker.blobs is not None:
            invoker.blobs.on_written = self._written

    def _written(self, backend: StorageBackend, container: str, name: str) -> None:
        """A blob this host wrote (a blob output): the listeners it would fire scan at once."""
        for listener in self.listeners:
            pattern = listener.pattern
            if (
                listener.backend is backend
                and pattern.container == container.lower()
                and pattern.match(name) is not None
            ):
                listener.wake()

    async def _run(self, spec: FunctionSpec, inputs: Inputs, reason: str) -> bool:
        outcome = await self.invoker.run_reported(spec, inputs, reason)
        return outcome.ok

    def start(self, catalog: Catalog) -> None:
        """A listener for each blob-triggered function that can run."""
        settings = self.config.settings
        found = listened_functions(catalog, "blobtrigger", self.storage, lambda spec: BlobPattern.of(spec, settings))
        for spec, backend, pattern in found:
            listener = BlobListener(spec, backend, pattern, self._run, self.console)
            self.listeners.append(listener)
            listener.start()

    async def stop(self, deadline: float) -> bool:
        """Stop every listener, letting the blob in progress finish until ``deadline`` (monotonic)."""
        return await stop_listeners(self.listeners, deadline)
