"""One invocation of a streaming HTTP function: wait for the forwarded request, give it the route
values, run the function, hand its response (or its exception) to the waiting route."""

from __future__ import annotations

import asyncio
from typing import Any

from .. import invocation, logs
from ..functions.registry import FunctionInfo
from ..logs import thread_local_storage
from ..protos import pb
from ..state import WorkerState
from .server import StreamServer


async def invoke(info: FunctionInfo, handover: invocation.Handover, state: WorkerState) -> pb.StreamingMessage:
    """Run `info` for the request parked under the invocation id; raises only CancelledError."""
    invocation_id = handover.invocation_id
    server: StreamServer = state.http_stream
    try:
        kwargs, holders = invocation.prepare(info, handover.take())
        trigger = next(name for name, param in info.inputs.items() if param.binding.type == "httpTrigger")
        request = await server.request_for(invocation_id, info.name)
        params = kwargs.get(trigger) or {}
        server.base.RequestTrackerMeta.get_synchronizer().sync_route_params(request, params)
        kwargs[trigger] = request
        if info.is_async:
            result = await info.func(**kwargs)
        else:
            result = await _in_pool(info, kwargs, invocation_id, state)
        _check_result(info, result)
        answer = invocation.finish(info, invocation_id, result, holders)
    except asyncio.CancelledError:
        server.respond(invocation_id, RuntimeError(f"invocation {invocation_id} of {info.name} was cancelled"))
        raise
    except BaseException as exc:
        server.respond(invocation_id, exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        return invocation.failure_for(invocation_id, exc)
    server.respond(invocation_id, result)
    return answer


async def _in_pool(info: FunctionInfo, kwargs: dict[str, Any], invocation_id: str, state: WorkerState) -> Any:
    """Call a plain `def` function on the worker's pool and wait for it on the loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()

    def settle(outcome: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(outcome)

    def call() -> None:
        token = logs.set_invocation(invocation_id)
        thread_local_storage.invocation_id = invocation_id
        try:
            outcome, error = info.func(**kwargs), None
        except BaseException as exc:
            outcome, error = None, exc
        finally:
            thread_local_storage.invocation_id = None
            logs.reset_invocation(token)
        loop.call_soon_threadsafe(settle, outcome, error)

    state.executor.run(call, job_id=invocation_id, label=info.name)
    return await done


def _check_result(info: FunctionInfo, result: Any) -> None:
    """A classic azure.functions.HttpResponse cannot be sent by the web framework: say so."""
    cls = type(result)
    if cls.__module__.startswith("azure.functions") and cls.__name__ == "HttpResponse":
        raise TypeError(
            f"function {info.name} returned azure.functions.HttpResponse, but the app streams HTTP "
            f"through a web extension: return one of the extension's response types (e.g. Response, "
            f"StreamingResponse, JSONResponse), or str, dict or list"
        )
