"""Route each incoming message kind to its small handler and send its reply; unknown kinds are
logged and ignored.

The dispatcher owns the reply envelope (`replies`): a handler returns the response content and
the dispatcher sends it, echoing the request's ids; when a handler raises, or returns nothing for
a kind that has a response, the request still gets its one reply, a Failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import replies
from .console import SYSTEM_LOGGER
from .handlers import (
    cancel,
    init,
    invocation,
    load,
    metadata,
    reload,
    shared_memory,
    status,
    terminate,
    warmup,
)
from .protos import pb
from .state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)

#: (request, state) → the response content, or None when there is none (yet)
Handler = Callable[[pb.StreamingMessage, WorkerState], Any]

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


class NoAnswer(RuntimeError):
    """A handler returned nothing for a request that has a response."""


class Dispatcher:
    """Hands each message to the handler for its kind and sends what it answers."""

    def __init__(self, state: WorkerState, handlers: dict[str, Handler] | None = None) -> None:
        self.state = state
        self._handlers = HANDLERS if handlers is None else handlers

    def dispatch(self, message: pb.StreamingMessage) -> None:
        kind = message.WhichOneof("content")
        handler = None if kind is None else self._handlers.get(kind)
        if kind is None or handler is None:
            log.warning(
                "ignoring a message of kind %s, which this worker does not handle",
                kind or "<empty>",
            )
            return
        try:
            content = handler(message, self.state)
            reply = replies.REPLIES.get(kind)
            if reply is None or reply.later:
                return
            if content is None:
                raise NoAnswer(f"the {kind} handler gave no answer")
            answer = replies.answer(message, content, self.state.request_id)
        except KeyboardInterrupt:
            # user code interrupted itself (at import): the worker ends as Python would, killed
            # by SIGINT (lifecycle says why); the host sees the process die, as it would with
            # the official worker, rather than an answer that looks like an ordinary failure
            raise
        except BaseException as exc:  # a bug of ours, or of the environment: still one answer
            log.error("internal error while handling %s", kind, exc_info=exc)
            failed = replies.failure(kind, replies.ids_of(message), exc, self.state.request_id)
            if failed is not None:
                self.state.send(failed)
            return
        self.state.send(answer)
