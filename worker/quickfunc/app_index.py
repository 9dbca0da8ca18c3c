"""The v2 app index of this worker process: made once (one thread at a time), used by the
metadata, load, init and reload handlers, and closed (ASGI lifespan shutdown) on the way out."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from .console import SYSTEM_LOGGER
from .functions.indexer import AppIndex, index_app
from .functions.registry import FunctionInfo, FunctionLoadError
from .protos import pb
from .state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)
#: one indexing at a time: loads of worker-indexed functions wait for the one in progress
_indexing = threading.RLock()


def index_early(state: WorkerState) -> None:
    """With PYTHON_ENABLE_INIT_INDEXING, index during init/reload (on the loop, as the host expects
    the answer after it); errors wait for the metadata step. Skipped while an indexing is stuck."""
    if state.settings.init_indexing and state.app_dir and _indexing.acquire(blocking=False):
        try:
            state.app_index = None
            app_index(state, state.app_dir)
        finally:
            _indexing.release()


def is_indexed(state: WorkerState, app_dir: str) -> bool:
    """The index of `app_dir` is made (so `load_indexed` imports nothing)."""
    index = state.app_index
    wanted = os.path.abspath(app_dir or state.app_dir or os.getcwd())
    return index is not None and index.app_dir == wanted


def app_index(state: WorkerState, app_dir: str) -> AppIndex:
    """The index of `app_dir`, made once per process (one thread at a time)."""
    app_dir = os.path.abspath(app_dir)
    index = state.app_index
    if index is not None and index.app_dir == app_dir:
        return index  # made already: no need to wait for an indexing in progress elsewhere
    with _indexing:
        if state.app_index is None or state.app_index.app_dir != app_dir:
            state.app_index = index_app(app_dir, state.settings.script_file_name)
            _lifespan_startup_once(getattr(state.app_index, "app", None))
        return state.app_index


def _lifespan_startup_once(app: object) -> None:
    """An AsgiFunctionApp's first requests share one lifespan startup.

    The library's function checks `startup_task_done` before it awaits the startup, so requests
    that arrive together (one read of the stream) would each start the app's lifespan, and
    FastAPI would run its startup handlers once per request. The startup in progress is shared;
    one that failed is tried again by the next request, as the library does."""
    middleware = getattr(app, "middleware", None)
    startup = getattr(middleware, "notify_startup", None)
    if startup is None or getattr(startup, "shared_by_quickfunc", False):
        return
    running: list[asyncio.Future] = []

    async def notify_startup() -> bool:
        if not running or (running[0].done() and not _started(running[0])):
            running[:] = [asyncio.ensure_future(startup())]
        return bool(await asyncio.shield(running[0]))

    notify_startup.shared_by_quickfunc = True  # type: ignore[attr-defined]
    middleware.notify_startup = notify_startup  # type: ignore[union-attr]


def _started(done: asyncio.Future) -> bool:
    return not done.cancelled() and done.exception() is None and bool(done.result())


async def shutdown_app(state: WorkerState, timeout: float = 2.0) -> None:
    """Before the worker exits: an AsgiFunctionApp whose lifespan started gets its shutdown event,
    so the framework's shutdown handlers (closing pools, flushing) run on the worker's loop."""
    app = getattr(state.app_index, "app", None)
    middleware = getattr(app, "middleware", None)
    if app is None or middleware is None:
        return
    if not getattr(app, "startup_task_done", False) or not hasattr(middleware, "notify_shutdown"):
        return
    app.startup_task_done = False  # the library's __del__ would otherwise try again with asyncio.run
    try:
        await asyncio.wait_for(middleware.notify_shutdown(), timeout)
    except asyncio.TimeoutError:
        log.warning("the ASGI app did not finish its lifespan shutdown within %.0f s", timeout)
    except Exception as exc:
        log.warning("the ASGI app's lifespan shutdown failed: %s: %s", type(exc).__name__, exc)


def load_indexed(state: WorkerState, function_id: str, metadata: pb.RpcFunctionMetadata) -> FunctionInfo:
    """The FunctionInfo of a worker-indexed function; indexes the app first if this process has not."""
    index = app_index(state, metadata.directory or state.app_dir or os.getcwd())
    name = metadata.name or function_id
    if index.error:
        raise FunctionLoadError(name, os.path.basename(index.script_path), index.error)
    if not index.found:
        raise FunctionLoadError(
            name,
            "",
            f"the host says it was indexed from {index.script_path}, but that file does not exist",
        )
    entry = index.get(function_id)
    if entry is None:
        raise FunctionLoadError(
            name,
            os.path.basename(index.script_path),
            f"the app has no function with id {function_id}; it defines: "
            f"{', '.join(f.name for f in index.functions) or 'no functions'}",
        )
    if entry.error or entry.info is None:
        raise FunctionLoadError(entry.name, entry.where, entry.error or "", message=entry.error)
    return entry.info
