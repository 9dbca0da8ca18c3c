"""FunctionsMetadataRequest: index the v2 app and describe its functions to the host.

The import runs off the loop (quickfunc.load_runner): while it takes long, the watchdog reports what
is being imported and where; at the load timeout the request fails naming the line it is stuck at.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading

from google.protobuf.duration_pb2 import Duration

from .. import messages
from ..console import SYSTEM_LOGGER
from ..functions.app_folder import app_folder, not_the_app_folder, same_folder
from ..functions.indexer import AppIndex, IndexedFunction, RetryPolicy, index_app
from ..functions.registry import FunctionInfo, FunctionLoadError
from ..load_runner import LoadJob, runner_for, timed_out
from ..protos import pb
from ..stacks import Where
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)
_DIRECTIONS = {"in": 0, "out": 1, "inout": 2}
_FIXED_DELAY = pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")
_EXPONENTIAL = pb.RpcRetryOptions.RetryStrategy.Value("exponential_backoff")
#: one indexing at a time: loads of worker-indexed functions wait for the one in progress
_indexing = threading.RLock()


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    """Answered later, when the indexing (off the loop) is done or timed out."""
    app_dir = message.functions_metadata_request.function_app_directory or state.app_dir or os.getcwd()
    folder = app_folder(state.app_dir)

    def answer(response: pb.FunctionMetadataResponse) -> None:
        state.send(
            pb.StreamingMessage(request_id=message.request_id, function_metadata_response=response)
        )

    if not same_folder(app_dir, folder):  # never import code from a folder the host did not name
        text = not_the_app_folder(app_dir, folder)
        log.error("%s", text)
        failure = messages.failure(text, exc_type="FunctionIndexError")
        answer(pb.FunctionMetadataResponse(result=failure))
        return
    timeout = state.settings.function_load_timeout

    def done(index: AppIndex | None, error: BaseException | None) -> None:
        if error is None and index is not None:
            answer(_respond(index))
            return
        # a bug of ours: still answer, or the host waits for its timeout
        log.error("internal error while indexing %s", app_dir, exc_info=error)
        answer(pb.FunctionMetadataResponse(result=messages.failure(
            f"the worker failed to index {app_dir}: {type(error).__name__}: {error}",
            exc_type=type(error).__name__)))

    def expired(where: Where | None, seconds: float) -> None:
        script = state.settings.script_file_name
        text = f"cannot index the function app {script}: {timed_out(where, timeout)}"
        log.error("%s", text)
        answer(pb.FunctionMetadataResponse(
            result=messages.failure(text, where.stack if where else "", "TimeoutError")))

    note = "the host waits for the list of functions"
    if timeout > 0:
        note += f"; it fails after {timeout:g} s (PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS)"
    job = LoadJob(label="indexing the app", work=lambda: app_index(state, app_dir), done=done,
                  expired=expired, timeout=timeout, note=note)
    runner_for(state).submit(job)


def _respond(index: AppIndex) -> pb.FunctionMetadataResponse:
    response = pb.FunctionMetadataResponse()
    for warning in index.warnings:
        log.warning("%s", warning)
    if not index.found:
        response.use_default_metadata_indexing = True
        response.result.CopyFrom(messages.success())
    elif index.error:
        log.error("cannot index the function app %s: %s", index.script_path, index.error)
        response.result.CopyFrom(messages.failure(index.error, index.stack_trace, "FunctionIndexError"))
    elif not index.functions:
        log.warning("%s defines a function app with no functions", index.script_path)
        response.use_default_metadata_indexing = True
        response.result.CopyFrom(messages.success())
    else:
        response.result.CopyFrom(messages.success())
        for function in index.functions:
            response.function_metadata_results.append(describe(function, index.app_dir))
        _log_summary(index)
    return response


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
        return state.app_index


async def shutdown_app(state: WorkerState, timeout: float = 2.0) -> None:
    """Before the worker exits: an AsgiFunctionApp whose lifespan started gets its shutdown event,
    so the framework's shutdown handlers (closing pools, flushing) run on the worker's loop."""
    app = getattr(state.app_index, "app", None)
    middleware = getattr(app, "middleware", None)
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
            name, "", f"the host says it was indexed from {index.script_path}, but that file does not exist"
        )
    entry = index.get(function_id)
    if entry is None:
        raise FunctionLoadError(
            name, os.path.basename(index.script_path),
            f"the app has no function with id {function_id}; it defines: "
            f"{', '.join(f.name for f in index.functions) or 'no functions'}",
        )
    if entry.error or entry.info is None:
        raise FunctionLoadError(entry.name, entry.where, entry.error or "", message=entry.error)
    return entry.info


def describe(function: IndexedFunction, app_dir: str) -> pb.RpcFunctionMetadata:
    metadata = pb.RpcFunctionMetadata(
        name=function.name,
        function_id=function.function_id,
        directory=app_dir,
        script_file="function_app.py",
        entry_point=function.name,
        language="python",
        raw_bindings=function.raw_bindings,
        properties={"worker_indexed": "True"},
    )
    for name, spec in function.bindings.items():
        metadata.bindings[name].CopyFrom(
            pb.BindingInfo(type=spec.type, direction=_DIRECTIONS[spec.direction], data_type=spec.data_type)
        )
    if function.retry:
        metadata.retry_options.CopyFrom(retry_options(function.retry))
    if function.error:
        log.error("%s", function.error)
        metadata.status.CopyFrom(messages.failure(function.error, exc_type="FunctionLoadError"))
    else:
        metadata.status.CopyFrom(messages.success())
    return metadata


def retry_options(policy: RetryPolicy) -> pb.RpcRetryOptions:
    options = pb.RpcRetryOptions(max_retry_count=policy.max_retry_count)
    if policy.strategy == "fixed_delay":
        options.retry_strategy = _FIXED_DELAY
        options.delay_interval.CopyFrom(_duration(policy.delay_interval))
    else:
        options.retry_strategy = _EXPONENTIAL
        options.minimum_interval.CopyFrom(_duration(policy.minimum_interval))
        options.maximum_interval.CopyFrom(_duration(policy.maximum_interval))
    return options


def _duration(seconds: float) -> Duration:
    whole = int(seconds)
    return Duration(seconds=whole, nanos=int(round((seconds - whole) * 1e9)))


def _log_summary(index: AppIndex) -> None:
    ok = [f for f in index.functions if not f.error]
    log.info("Indexed %s: %d function(s), %d with errors", index.script_path, len(ok),
             len(index.functions) - len(ok))
    for f in ok:
        log.info("  %s: %s", f.name, ", ".join(f"{b.name} ({b.type}, {b.direction})" for b in f.bindings.values()))
