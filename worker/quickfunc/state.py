"""What the message handlers share: settings, loaded functions, the thread pool, the way out."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from .console import SYSTEM_LOGGER
from .functions.registry import FunctionRegistry
from .protos import pb
from .settings import Settings
from .sync_pool import SyncPool

log = logging.getLogger(SYSTEM_LOGGER)

#: how often a drain looks whether a plain `def` invocation has finished (seconds)
DRAIN_POLL = 0.01


def make_executor(settings: Settings) -> SyncPool:
    """The pool for plain `def` functions, sized by PYTHON_THREADPOOL_THREAD_COUNT."""
    return SyncPool(max_workers=settings.threadpool_thread_count, name="sync-function")


@dataclass
class WorkerState:
    """References shared by the handlers; each handler owns its own logic."""

    send: Callable[[pb.StreamingMessage], None]
    request_id: str
    settings: Settings
    max_message_length: int = -1
    registry: FunctionRegistry = field(default_factory=FunctionRegistry)
    executor: SyncPool | None = None
    app_dir: str | None = None
    host_capabilities: dict[str, str] = field(default_factory=dict)
    #: invocation id → the Task (async def) or SyncCall (def) that will answer it
    in_flight: dict[str, Any] = field(default_factory=dict)
    #: set by WorkerTerminate: (grace period in seconds)
    terminate_requested: asyncio.Event = field(default_factory=asyncio.Event)
    grace_period: float = 5.0
    #: v2 index of the app (functions.indexer.AppIndex), when indexed
    app_index: Any = None
    #: runs loads and indexing off the loop (load_runner.LoadRunner), made on first use
    loader: Any = None

    def __post_init__(self) -> None:
        if self.executor is None:
            self.executor = make_executor(self.settings)

    def reply(self, **content: Any) -> None:
        """Send one message stamped with this worker's request id."""
        self.send(pb.StreamingMessage(request_id=self.request_id, **content))

    def in_flight_waitables(self) -> dict[asyncio.Future, str]:
        """An awaitable per in-flight invocation (for draining), mapped to its invocation id.

        A Task (async def) is its own; a plain `def` call has none (its thread answers and leaves
        `in_flight`), so it gets a watcher that sees it leave.
        """
        return {entry if isinstance(entry, asyncio.Future) else asyncio.ensure_future(self._left(invocation_id)): invocation_id
                for invocation_id, entry in list(self.in_flight.items())}

    async def _left(self, invocation_id: str) -> None:
        while invocation_id in self.in_flight:
            await asyncio.sleep(DRAIN_POLL)

    def replace_executor(self) -> None:
        old, self.executor = self.executor, make_executor(self.settings)
        if old is not None:
            old.shutdown(wait=False)
