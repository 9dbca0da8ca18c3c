"""InvocationRequest: start the invocation as a task, track it for cancellation, send its answer."""
from __future__ import annotations

import asyncio
import logging
import sys

from .. import invocation, logs
from ..console import SYSTEM_LOGGER
from ..functions.registry import FunctionInfo
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    request = message.invocation_request
    invocation_id = request.invocation_id
    refusal = _refusal(request, state)
    if refusal is not None:
        _answer(state, invocation.failure(invocation_id, refusal, user_code=False, with_trace=False))
        return
    info = state.registry.get(request.function_id)
    assert info is not None
    task = asyncio.get_running_loop().create_task(_run(info, request, state))
    state.in_flight[invocation_id] = task


def _refusal(request: pb.InvocationRequest, state: WorkerState) -> Exception | None:
    if state.terminate_requested.is_set():
        return RuntimeError("the worker is shutting down (WorkerTerminate received) and takes no new invocations")
    if request.invocation_id in state.in_flight:
        return RuntimeError(f"invocation {request.invocation_id} is already running in this worker")
    if request.function_id in state.registry:
        return None
    load_error = state.registry.failure(request.function_id)
    if load_error is not None:
        return RuntimeError(f"this function failed to load: {load_error}")
    names = ", ".join(sorted(f.name for f in state.registry.functions())) or "none"
    return LookupError(f"no function with id {request.function_id!r} is loaded in this worker (loaded: {names})")


async def _run(info: FunctionInfo, request: pb.InvocationRequest, state: WorkerState) -> None:
    invocation_id = request.invocation_id
    logs.set_invocation(invocation_id)
    try:
        response = await invocation.invoke(info, request, state.executor)
    except asyncio.CancelledError:
        response = invocation.cancelled(invocation_id, f"invocation of {info.name} was cancelled")
    finally:
        state.in_flight.pop(invocation_id, None)
    _answer(state, response)


def _answer(state: WorkerState, response: pb.InvocationResponse) -> None:
    limit = state.max_message_length
    if limit > 0 and response.ByteSize() > limit - 64:
        response = _too_large(response, limit)
    try:  # print() output of the invocation reaches the host before its response
        sys.stdout.flush()
    except Exception:
        pass
    state.reply(invocation_response=response)


def _too_large(response: pb.InvocationResponse, limit: int) -> pb.InvocationResponse:
    size = response.ByteSize()
    error = RuntimeError(
        f"the function's output is {size} bytes, over the host's message size limit of {limit} bytes "
        f"(--functions-grpc-max-message-length); return a smaller value or write large data to storage"
    )
    log.error("invocation %s: %s", response.invocation_id, error)
    return invocation.failure(response.invocation_id, error, user_code=False, with_trace=False)
