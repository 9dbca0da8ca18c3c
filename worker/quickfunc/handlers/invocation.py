"""InvocationRequest: start the invocation, track it for cancellation, send its one answer.

`async def` functions run as Tasks on the loop (started eagerly where Python has eager tasks,
3.12+). Plain `def` functions run decode → call → encode in a pool thread, which sends
the answer itself. Whoever removes the invocation from `state.in_flight` first (the finished
run, a cancel or the shutdown) is the one that answers, so there is always exactly one response.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys

from .. import invocation, logs, print_capture, replies
from ..console import SYSTEM_LOGGER
from ..functions.registry import FunctionInfo
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)


class SyncCall:
    """An in-flight plain `def` invocation: its pool thread removes it from `in_flight` when done."""

    __slots__ = ()

    def cancel(self, msg: object = None) -> bool:
        return False  # a running thread cannot be stopped; the cancel handler answers instead


_SYNC_CALL = SyncCall()  # it holds nothing, so one serves every call
#: the `in_flight` entry of an async invocation while its first step runs
_STARTING = SyncCall()


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    request = message.invocation_request
    refusal = _refusal(request, state)
    if refusal is not None:
        _answer(
            state,
            invocation.failure(request.invocation_id, refusal, user_code=False, with_trace=False),
        )
        return
    info = state.registry.get(request.function_id)
    assert info is not None
    if info.is_async or info.http_stream:  # a streamed request waits for its HTTP side on the loop
        _start_async(info, invocation.Handover(request), state)
    else:
        _start_sync(info, invocation.Handover(request), state)


def cancel(invocation_id: str, state: WorkerState) -> bool:
    """Cancel an in-flight invocation; False if it is not running (already answered)."""
    entry = state.in_flight.get(invocation_id)
    if entry is None:
        return False
    if isinstance(entry, SyncCall):
        if state.in_flight.pop(invocation_id, None) is None:
            return False  # the thread finished first and answered
        _answer(
            state,
            invocation.cancelled(
                invocation_id,
                "cancelled by the host; the function's thread runs on but its result is dropped",
            ),
        )
        return True
    entry.cancel(f"invocation {invocation_id} cancelled by the host")
    return True


def abandon(invocation_id: str, state: WorkerState, error: Exception) -> bool:
    """Answer an unfinished invocation with `error` now (the worker is stopping); False if it
    has answered already. Its Task is cancelled; a `def` function's thread runs on unheard."""
    entry = state.in_flight.pop(invocation_id, None)
    if entry is None:
        return False
    _answer(state, invocation.failure(invocation_id, error, user_code=False, with_trace=False))
    if isinstance(entry, asyncio.Future):
        entry.cancel(str(error))
    return True


def _refusal(request: pb.InvocationRequest, state: WorkerState) -> Exception | None:
    if state.shutdown is not None:
        return RuntimeError(f"the worker is shutting down ({state.shutdown.cause}) and takes no new invocations")
    if request.invocation_id in state.in_flight:
        return RuntimeError(f"invocation {request.invocation_id} is already running in this worker")
    info = state.registry.get(request.function_id)
    if info is not None:
        return _streaming_refusal(info, state) if info.http_stream else None
    load_error = state.registry.failure(request.function_id)
    if load_error is not None:
        return RuntimeError(f"this function failed to load: {load_error}")
    names = ", ".join(sorted(f.name for f in state.registry.functions())) or "none"
    return LookupError(f"no function with id {request.function_id!r} is loaded in this worker (loaded: {names})")


def _streaming_refusal(info: FunctionInfo, state: WorkerState) -> Exception | None:
    """Why a streaming HTTP function cannot run: its web server was never started, because the
    app was not indexed at init (the platform then leaves such requests hanging)."""
    if state.http_stream is not None:
        return None
    if info.programming_model == "v1":
        return RuntimeError(
            f"function {info.name} takes the request type of an HTTP web extension, which only "
            f"apps of the v2 programming model (function_app.py) can stream"
        )
    return RuntimeError(
        f"function {info.name} uses HTTP streaming (the app imports an HTTP web extension), which "
        f"needs the app setting PYTHON_ENABLE_INIT_INDEXING=1 (in local.settings.json locally, in "
        f"the app settings on Azure): without it the worker cannot start its HTTP server in time "
        f"to tell the host, and the host sends no request to stream"
    )


# --- plain def: the whole invocation in a pool thread ------------------------------------------


def _start_sync(info: FunctionInfo, handover: invocation.Handover, state: WorkerState) -> None:
    state.in_flight[handover.invocation_id] = _SYNC_CALL
    try:
        state.executor.run(_run_sync, info, handover, state, job_id=handover.invocation_id, label=info.name)
    except BaseException:  # not started: the dispatcher answers
        state.in_flight.pop(handover.invocation_id, None)
        raise


def _run_sync(info: FunctionInfo, handover: invocation.Handover, state: WorkerState) -> None:
    invocation_id = handover.invocation_id
    if invocation_id not in state.in_flight:
        return  # cancelled while it waited for a thread: answered already, and never started
    token = logs.set_invocation(invocation_id)
    try:
        answer = invocation.invoke_sync(info, handover, state.tracer)
    except BaseException as exc:  # invoke_sync answers every failure itself; this is a bug of ours
        answer = _internal_failure(invocation_id, exc, state)
    finally:
        logs.reset_invocation(token)
    if state.in_flight.pop(invocation_id, None) is not None:
        _answer(state, answer)


# --- async def: eager start on the loop ---------------------------------------------------------


def _start_async(info: FunctionInfo, handover: invocation.Handover, state: WorkerState) -> None:
    state.in_flight[handover.invocation_id] = _STARTING
    coro = _run_async(info, handover, state)
    if sys.version_info >= (3, 12):  # the first step runs now, inside its own Task (so current_task() is right)
        task = asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)
        if task.done():
            return  # finished without suspending; it has answered
    else:
        task = asyncio.get_running_loop().create_task(coro)
    state.in_flight[handover.invocation_id] = task
    task.add_done_callback(functools.partial(_answer_if_never_run, handover.invocation_id, info.name, state))


def _answer_if_never_run(invocation_id: str, name: str, state: WorkerState, task: asyncio.Task) -> None:
    """A Task cancelled before its first step (a cancel read together with its request) never
    runs its coroutine, which would have answered: answer Cancelled for it."""
    if state.in_flight.pop(invocation_id, None) is not None:
        _answer(state, invocation.cancelled(invocation_id, f"invocation of {name} was cancelled"))


async def _run_async(info: FunctionInfo, handover: invocation.Handover, state: WorkerState) -> None:
    invocation_id = handover.invocation_id
    logs.set_invocation(invocation_id)
    try:
        if info.http_stream:
            from ..http_stream.invoke import invoke as invoke_streamed

            answer = await invoke_streamed(info, handover, state)
        else:
            answer = await invocation.invoke_async(info, handover, state.tracer)
    except asyncio.CancelledError:
        answer = invocation.cancelled(invocation_id, f"invocation of {info.name} was cancelled")
    except BaseException as exc:  # invoke_async answers every failure itself; this is a bug of ours
        answer = _internal_failure(invocation_id, exc, state)
    if state.in_flight.pop(invocation_id, None) is not None:  # else the shutdown has answered
        _answer(state, answer)


# --- the answer -----------------------------------------------------------------------------------


def _answer(state: WorkerState, message: pb.StreamingMessage) -> None:
    """Send the answer (from the loop or a pool thread); the transport checks its size."""
    try:  # print() output of the invocation reaches the host before its response
        if print_capture.active():
            print_capture.finish(message.invocation_response.invocation_id)
        sys.stdout.flush()
    except BaseException:
        pass
    message.request_id = state.request_id
    state.send(message)


def _internal_failure(invocation_id: str, exc: BaseException, state: WorkerState) -> pb.StreamingMessage:
    """The dispatcher's Failure reply for an invocation whose running failed unforeseen."""
    log.error("internal error while running invocation %s", invocation_id, exc_info=exc)
    answer = replies.failure("invocation_request", replies.Ids(invocation_id=invocation_id), exc, state.request_id)
    assert answer is not None
    return answer
