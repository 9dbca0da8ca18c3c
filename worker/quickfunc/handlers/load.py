"""FunctionLoadRequest (and its collection form): load a v1 function or one the v2 index found."""
from __future__ import annotations

import logging

from .. import gc_pause, messages
from ..bindings.convert import BindingSpec
from ..console import SYSTEM_LOGGER
from ..functions.app_folder import app_folder, check_function_folder, check_indexed_folder
from ..functions.loader import V1Target, load_entry_point
from ..functions.registry import FunctionLoadError
from ..functions.signature import build_function_info
from ..functions.importer import relative
from ..protos import pb
from ..state import WorkerState
from . import metadata as metadata_handler

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.FunctionLoadResponse:
    response = load(message.function_load_request, state)
    gc_pause.resume_after(gc_pause.AFTER_LOAD)
    return response


def handle_collection(message: pb.StreamingMessage, state: WorkerState) -> pb.FunctionLoadResponseCollection:
    requests = message.function_load_request_collection.function_load_requests
    responses = [load(request, state) for request in requests]
    gc_pause.resume_after(gc_pause.AFTER_LOAD)
    return pb.FunctionLoadResponseCollection(function_load_responses=responses)


def load(request: pb.FunctionLoadRequest, state: WorkerState) -> pb.FunctionLoadResponse:
    """Load one function; a failure is answered (and remembered), never raised."""
    function_id = request.function_id
    metadata = request.metadata
    if function_id in state.registry:
        return pb.FunctionLoadResponse(function_id=function_id, result=messages.success())
    try:
        folder = app_folder(state.app_dir)
        if _is_worker_indexed(metadata):
            check_indexed_folder(metadata.name or function_id, metadata.directory, folder)
            info = metadata_handler.load_indexed(state, function_id, metadata)
        else:
            check_function_folder(metadata.name, metadata.directory, metadata.script_file, folder)
            info = _load_v1(function_id, metadata)
    except FunctionLoadError as exc:
        return _failed(state, function_id, str(exc), getattr(exc, "stack_trace", ""), "FunctionLoadError")
    except Exception as exc:  # a bug of ours or a library surprise: still one clear answer
        text = f"cannot load the {metadata.name} function: unexpected {type(exc).__name__}: {exc}"
        log.exception(text)
        return _failed(state, function_id, text, "", type(exc).__name__)
    state.registry.add(info)
    log.info(
        "Loaded function %s (%s, %s, %s)", info.name, info.programming_model,
        "async" if info.is_async else "sync", info.trigger_type or "no trigger",
    )
    return pb.FunctionLoadResponse(function_id=function_id, result=messages.success())


def binding_specs(bindings: "dict[str, pb.BindingInfo]") -> dict[str, BindingSpec]:
    return {
        name: BindingSpec(name=name, type=info.type, direction=messages.DIRECTIONS.get(info.direction, "in"),
                          data_type=int(info.data_type))
        for name, info in bindings.items()
    }


def _is_worker_indexed(metadata: pb.RpcFunctionMetadata) -> bool:
    value = metadata.properties.get("worker_indexed", "")
    return value.strip().lower() in ("true", "1", "yes")


def _load_v1(function_id: str, metadata: pb.RpcFunctionMetadata):  # -> FunctionInfo
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
