"""Logging handler that turns records into RpcLog messages tagged with the running invocation.

The invocation id lives in a context variable, so it follows the invocation into tasks it
spawns, into the sync-function thread pool, and into threads and executors the user starts.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import logging
import threading
from collections.abc import Callable

from .console import SYSTEM_LOGGER
from .protos import pb

_current_invocation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "quickfunc_invocation_id", default=None
)

#: process-wide thread-local the official model exposes as `context.thread_local_storage`;
#: user code may set `.invocation_id` on it in threads it manages itself
thread_local_storage = threading.local()

#: logger-name prefixes whose records are the worker's or the platform's, not the user's
SYSTEM_PREFIXES = (
    SYSTEM_LOGGER,
    "azure_functions_worker",
    "azure.functions",
    "asyncio",
    "grpc",
    # the gRPC client and its HTTP/2 libraries (hpack logs each header block at DEBUG)
    "grpclib",
    "h2",
    "hpack",
    "hyperframe",
    "concurrent.futures",
)

_Level = pb.RpcLog.Level
_CRITICAL, _ERROR, _WARNING = (
    _Level.Value("Critical"),
    _Level.Value("Error"),
    _Level.Value("Warning"),
)
_INFORMATION, _DEBUG, _NONE = (
    _Level.Value("Information"),
    _Level.Value("Debug"),
    _Level.Value("None"),
)
_USER = pb.RpcLog.RpcLogCategory.Value("User")
_SYSTEM = pb.RpcLog.RpcLogCategory.Value("System")


def set_invocation(invocation_id: str | None) -> contextvars.Token:
    """Mark the current context as running `invocation_id`."""
    return _current_invocation.set(invocation_id)


def reset_invocation(token: contextvars.Token) -> None:
    """Undo `set_invocation` (for threads that serve many invocations)."""
    _current_invocation.reset(token)


def current_invocation_id() -> str | None:
    """The invocation the calling code belongs to, if any."""
    invocation_id = _current_invocation.get()
    if invocation_id is None:
        invocation_id = getattr(thread_local_storage, "invocation_id", None)
    return invocation_id


def rpc_level(levelno: int) -> pb.RpcLog.Level.ValueType:
    """Python logging level → RpcLog.Level (protocol §9)."""
    if levelno >= logging.CRITICAL:
        return _CRITICAL
    if levelno >= logging.ERROR:
        return _ERROR
    if levelno >= logging.WARNING:
        return _WARNING
    if levelno >= logging.INFO:
        return _INFORMATION
    if levelno >= logging.DEBUG:
        return _DEBUG
    return _NONE


@functools.lru_cache(maxsize=1024)
def is_system_logger(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") or name.startswith(p + "_") for p in SYSTEM_PREFIXES)


#: room left in a size-limited RpcLog for everything but the message text (ids, category, ...)
_LOG_ENVELOPE = 1024


class RpcLogHandler(logging.Handler):
    """Sends every record as an RpcLog through `send` (which must be thread-safe).

    With a message size limit (`max_message_length` > 0) longer texts are cut to fit: a message
    over the limit would make gRPC end the whole stream.
    """

    def __init__(
        self,
        send: Callable[[pb.StreamingMessage], None],
        request_id: str = "",
        max_message_length: int = -1,
    ) -> None:
        super().__init__()
        self._send = send
        self._request_id = request_id
        self._limit = max_message_length
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if self._limit > 0 and len(text) * 4 + len(record.name) * 4 + _LOG_ENVELOPE > self._limit:
                text = _fit(text, self._limit - _LOG_ENVELOPE - len(record.name.encode()), self._limit)
            log = pb.RpcLog(
                category=record.name,
                level=rpc_level(record.levelno),
                log_category=_SYSTEM if is_system_logger(record.name) else _USER,
            )
            try:
                log.message = text
            except UnicodeEncodeError:  # lone surrogates (undecodable file names, ...): escaped
                log.message = text.encode("utf-8", "backslashreplace").decode("utf-8")
            invocation_id = getattr(record, "invocation_id", None) or current_invocation_id()
            if invocation_id:
                log.invocation_id = invocation_id
            self._send(pb.StreamingMessage(request_id=self._request_id, rpc_log=log))
        except RecursionError:  # pragma: no cover
            raise
        except Exception:
            self.handleError(record)


def _fit(text: str, max_bytes: int, limit: int) -> str:
    """`text` cut to `max_bytes` of UTF-8, saying so, when it is longer."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    note = (
        f" ... [log message truncated: it has {len(data)} bytes, over the host's message size limit of {limit} bytes]"
    )
    keep = max(0, max_bytes - len(note.encode()))
    return data[:keep].decode("utf-8", "ignore") + note


def install(handler: RpcLogHandler, debug: bool) -> None:
    """Route the root logger to the host."""
    root = logging.getLogger()
    root.addHandler(handler)
    set_root_level(debug)


def set_root_level(debug: bool) -> None:
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger(SYSTEM_LOGGER).setLevel(logging.DEBUG if debug else logging.INFO)


def uninstall(handler: RpcLogHandler) -> None:
    logging.getLogger().removeHandler(handler)


# --- carrying the invocation into threads the user starts -----------------------------------

_patched = False


def propagate_into_threads() -> None:
    """Threads started and executor jobs submitted inside an invocation keep its id.

    `threading.Thread.start` and `ThreadPoolExecutor.submit` run the target in a copy of the
    caller's context when the caller is inside an invocation; outside one nothing changes.
    """
    global _patched
    if _patched:
        return
    _patched = True
    original_start = threading.Thread.start
    original_submit = concurrent.futures.ThreadPoolExecutor.submit

    def start(self: threading.Thread) -> None:
        if _current_invocation.get() is not None:
            self.run = functools.partial(contextvars.copy_context().run, self.run)  # type: ignore[method-assign]
        original_start(self)

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        if _current_invocation.get() is not None:
            return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)
        return original_submit(self, fn, *args, **kwargs)

    threading.Thread.start = start  # type: ignore[method-assign]
    concurrent.futures.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]
