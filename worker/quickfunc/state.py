"""What the message handlers share: settings, loaded functions, the thread pool, the way out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .console import SYSTEM_LOGGER
from .functions.registry import FunctionRegistry
from .protos import pb
from .settings import Settings
from .sync_pool import SyncPool

log = logging.getLogger(SYSTEM_LOGGER)


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
    #: the pool for plain `def` functions
    executor: SyncPool = field(init=False)
    app_dir: str | None = None
    host_capabilities: dict[str, str] = field(default_factory=dict)
    #: invocation id → the Task (async def) or SyncCall (def) of an unanswered invocation;
    #: whoever takes an entry out (the run itself, a cancel, the shutdown) sends its one answer
    in_flight: dict[str, Any] = field(default_factory=dict)
    #: the worker is stopping (a shutdown.Shutdown): new invocations are turned down
    shutdown: Any = None
    #: set together with `shutdown`
    shutdown_requested: asyncio.Event = field(default_factory=asyncio.Event)
    #: the host's WorkerInitRequest has arrived
    init_received: bool = False
    #: v2 index of the app (functions.indexer.AppIndex), when indexed
    app_index: Any = None
    #: runs loads and indexing off the loop (load_runner.LoadRunner), made on first use
    loader: Any = None
    #: starts each invocation's OpenTelemetry span (telemetry.InvocationTracer) when that is on
    tracer: Any = None
    #: the host's address from the command line (the HTTP streaming server listens there)
    host_address: str = "127.0.0.1"
    #: the HTTP streaming server (http_stream.server.StreamServer), when the app streams HTTP
    http_stream: Any = None

    def __post_init__(self) -> None:
        self.executor = make_executor(self.settings)

    def replace_executor(self) -> None:
        old, self.executor = self.executor, make_executor(self.settings)
        old.shutdown(wait=False)
