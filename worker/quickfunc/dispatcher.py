"""Route each incoming message kind to its small handler; unknown kinds are logged and ignored."""
from __future__ import annotations

import logging
from typing import Callable

from .console import SYSTEM_LOGGER
from .handlers import cancel, init, invocation, load, metadata, reload, shared_memory, status, terminate, warmup
from .protos import pb
from .state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)

Handler = Callable[[pb.StreamingMessage, WorkerState], None]

HANDLERS: dict[str, Handler] = {
    "invocation_request": invocation.handle,
    "worker_status_request": status.handle,
    "worker_init_request": init.handle,
    "functions_metadata_request": metadata.handle,
    "function_load_request": load.handle,
    "function_load_request_collection": load.handle_collection,
    "invocation_cancel": cancel.handle,
    "worker_terminate": terminate.handle,
    "function_environment_reload_request": reload.handle,
    "close_shared_memory_resources_request": shared_memory.handle,
    "worker_warmup_request": warmup.handle,
}


class Dispatcher:
    """Hands each message to the handler for its kind."""

    def __init__(self, state: WorkerState, handlers: dict[str, Handler] | None = None) -> None:
        self.state = state
        self._handlers = HANDLERS if handlers is None else handlers

    def dispatch(self, message: pb.StreamingMessage) -> None:
        kind = message.WhichOneof("content")
        handler = self._handlers.get(kind)  # type: ignore[arg-type]
        if handler is None:
            log.warning("ignoring a message of kind %s, which this worker does not handle", kind or "<empty>")
            return
        try:
            handler(message, self.state)
        except Exception:
            # Handlers answer their own failures; reaching here is a bug of ours. Keep serving.
            log.exception("internal error while handling %s", kind)
