"""FunctionLoadRequest (and its collection form): load a v1 function or one the v2 index found.

Loads run off the loop (quickfunc.load_runner), each answered as soon as it is done: a module
stuck at import holds up neither the loop nor the other functions, and fails at the load timeout
(PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS) naming the line it is stuck at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from .. import app_index, gc_pause, messages
from ..bindings.convert import BindingSpec
from ..console import SYSTEM_LOGGER
from ..functions.app_folder import app_folder, check_function_folder, check_indexed_folder
from ..functions.importer import relative
from ..functions.loader import V1Target, load_entry_point
from ..functions.registry import FunctionInfo, FunctionLoadError
from ..functions.signature import build_function_info
from ..load_runner import LoadJob, runner_for, timed_out
from ..protos import pb
from ..stacks import Where
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)
Answer = Callable[[pb.FunctionLoadResponse], None]


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    """Answered later, from `start` (the dispatcher sends nothing for it)."""

    def answer(response: pb.FunctionLoadResponse) -> None:
        state.send(pb.StreamingMessage(request_id=state.request_id, function_load_response=response))

    start(message.function_load_request, state, answer)


def handle_collection(message: pb.StreamingMessage, state: WorkerState) -> None:
    """Each function is answered in a collection of its own as soon as it is loaded: the host
    takes as many collections as it sent requests, so a stuck import holds up no other answer."""

    def answer(response: pb.FunctionLoadResponse) -> None:
        state.send(
            pb.StreamingMessage(
                request_id=state.request_id,
                function_load_response_collection=pb.FunctionLoadResponseCollection(function_load_responses=[response]),
            )
        )

    for request in message.function_load_request_collection.function_load_requests:
        start(request, state, answer)


def start(request: pb.FunctionLoadRequest, state: WorkerState, answer: Answer) -> None:
    """Answer at once if the function is loaded (v2 after indexing), else load it off the loop."""
    function_id = request.function_id
    name = request.metadata.name or function_id
    if function_id in state.registry:
        answer(pb.FunctionLoadResponse(function_id=function_id, result=messages.success()))
        gc_pause.resume_after(gc_pause.AFTER_LOAD)
        return
    metadata = request.metadata
    if _is_worker_indexed(metadata) and app_index.is_indexed(state, metadata.directory):
        # the app is imported already: a look-up that imports nothing, so it stays on the loop
        info: FunctionInfo | None = None
        error: Exception | None = None
        try:
            info = prepare(request, state)
        except Exception as exc:
            error = exc
        answer(commit(state, function_id, name, info, error))
        gc_pause.resume_after(gc_pause.AFTER_LOAD)
        return
    timeout = state.settings.function_load_timeout

    def done(info: FunctionInfo | None, error: BaseException | None) -> None:
        answer(commit(state, function_id, name, info, error))
        gc_pause.resume_after(gc_pause.AFTER_LOAD)

    def expired(where: Where | None, seconds: float) -> None:
        text = str(
            FunctionLoadError(
                name,
                where.importing if where and where.importing else "",
                timed_out(where, timeout),
            )
        )
        answer(_failed(state, function_id, text, where.stack if where else "", "TimeoutError"))

    note = "the other functions load and run meanwhile"
    if timeout > 0:
        note += f"; it fails after {timeout:g} s (PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS)"
    runner_for(state).submit(
        LoadJob(
            label=f"loading function '{name}'",
            work=lambda: prepare(request, state),
            done=done,
            expired=expired,
            timeout=timeout,
            note=note,
        )
    )


def prepare(request: pb.FunctionLoadRequest, state: WorkerState) -> FunctionInfo:
    """Import and check one function (off the loop); FunctionLoadError when it cannot load."""
    metadata = request.metadata
    folder = app_folder(state.app_dir)
    if _is_worker_indexed(metadata):
        check_indexed_folder(metadata.name or request.function_id, metadata.directory, folder)
        return app_index.load_indexed(state, request.function_id, metadata)
    check_function_folder(metadata.name, metadata.directory, metadata.script_file, folder)
    return _load_v1(request.function_id, metadata)


def commit(
    state: WorkerState,
    function_id: str,
    name: str,
    info: FunctionInfo | None,
    error: BaseException | None,
) -> pb.FunctionLoadResponse:
    """Register a loaded function (on the loop), or remember its failure; the answer either way."""
    if isinstance(error, FunctionLoadError):
        stack = getattr(error, "stack_trace", "")
        return _failed(state, function_id, str(error), stack, "FunctionLoadError")
    if error is not None or info is None:  # a bug of ours or a library surprise: one clear answer
        text = f"cannot load the {name} function: unexpected {type(error).__name__}: {error}"
        log.error("%s", text, exc_info=error)
        return _failed(state, function_id, text, "", type(error).__name__)
    state.registry.add(info)
    log.info(
        "Loaded function %s (%s, %s, %s)",
        info.name,
        info.programming_model,
        "async" if info.is_async else "sync",
        info.trigger_type or "no trigger",
    )
    return pb.FunctionLoadResponse(function_id=function_id, result=messages.success())


def binding_specs(bindings: Mapping[str, pb.BindingInfo]) -> dict[str, BindingSpec]:
    return {
        name: BindingSpec(
            name=name,
            type=info.type,
            direction=messages.DIRECTIONS.get(info.direction, "in"),
            data_type=int(info.data_type),
        )
        for name, info in bindings.items()
    }


def _is_worker_indexed(metadata: pb.RpcFunctionMetadata) -> bool:
    value = metadata.properties.get("worker_indexed", "")
    return value.strip().lower() in ("true", "1", "yes")


def _load_v1(function_id: str, metadata: pb.RpcFunctionMetadata) -> FunctionInfo:
    target = V1Target(metadata.name, metadata.directory, metadata.script_file, metadata.entry_point)
    func_obj, script = load_entry_point(target)
    return build_function_info(
        function_id=function_id,
        name=metadata.name,
        directory=metadata.directory,
        script_file=script,
        func_obj=func_obj,
        bindings=binding_specs(metadata.bindings),
        where=relative(script, target.app_root),
        programming_model="v1",
    )


def _failed(state: WorkerState, function_id: str, text: str, stack: str, exc_type: str) -> pb.FunctionLoadResponse:
    state.registry.add_failure(function_id, text)
    log.error("%s", text)
    return pb.FunctionLoadResponse(function_id=function_id, result=messages.failure(text, stack, exc_type))
