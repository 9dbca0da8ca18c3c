"""Run one invocation: decode inputs, call the function (loop or pool), encode outputs, report."""

from __future__ import annotations

import asyncio
from types import MappingProxyType
from typing import Any

import azure.functions as func

from . import describe, shared_memory
from .bindings.context import build_context
from .bindings.convert import BindingError
from .bindings.datum import trigger_metadata_datums
from .functions.registry import FunctionInfo
from .logs import thread_local_storage
from .protos import pb

_SUCCESS = pb.StatusResult.Status.Value("Success")
_FAILURE = pb.StatusResult.Status.Value("Failure")
_CANCELLED = pb.StatusResult.Status.Value("Cancelled")
_NO_METADATA: Any = MappingProxyType({})


class OutValue(func.Out):
    """The holder passed for a `func.Out[T]` parameter."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class ReturnWithoutBinding(RuntimeError):
    """The function returned a value that has nowhere to go."""


class Handover:
    """An InvocationRequest handed to the code that runs it and taken exactly once.

    The taker holds the only reference, so the request, and a large body in it, is freed as soon
    as the arguments are decoded rather than when the function returns.
    """

    __slots__ = ("invocation_id", "_request")

    def __init__(self, request: pb.InvocationRequest) -> None:
        self.invocation_id: str = request.invocation_id
        self._request: pb.InvocationRequest | None = request

    def trace_context(self) -> pb.RpcTraceContext | None:
        """The host's W3C trace context, read before the request is taken."""
        request = self._request
        return request.trace_context if request is not None and request.HasField("trace_context") else None

    def take(self) -> pb.InvocationRequest:
        request, self._request = self._request, None
        if request is None:
            raise RuntimeError(f"invocation {self.invocation_id} was already started")
        return request


def invoke_sync(info: FunctionInfo, handover: Handover, tracer: Any = None) -> pb.StreamingMessage:
    """Run a plain `def` function in the calling (pool) thread; never raises.

    With a `tracer` (telemetry.InvocationTracer) the run is inside the invocation's span."""
    invocation_id = handover.invocation_id
    thread_local_storage.invocation_id = invocation_id
    span = None if tracer is None else tracer.start(info, handover)
    try:
        kwargs, holders = prepare(info, handover.take())
        return finish(info, invocation_id, info.func(**kwargs), holders)
    except BaseException as exc:  # user code may raise SystemExit and friends too
        if span is not None:
            span.failed(exc)
        return failure_for(invocation_id, exc)
    finally:
        thread_local_storage.invocation_id = None
        if span is not None:
            span.end()


async def invoke_async(info: FunctionInfo, handover: Handover, tracer: Any = None) -> pb.StreamingMessage:
    """Run an `async def` function on the loop; raises only CancelledError."""
    invocation_id = handover.invocation_id
    span = None if tracer is None else tracer.start(info, handover)
    try:
        kwargs, holders = prepare(info, handover.take())
        return finish(info, invocation_id, await info.func(**kwargs), holders)
    except asyncio.CancelledError as exc:
        if span is not None:
            span.failed(exc)
        raise
    except BaseException as exc:
        if span is not None:
            span.failed(exc)
        return failure_for(invocation_id, exc)
    finally:
        if span is not None:
            span.end()


def failure_for(invocation_id: str, exc: BaseException) -> pb.StreamingMessage:
    """The Failure response for an exception raised while running an invocation."""
    if isinstance(exc, BindingError):
        return failure(invocation_id, exc, user_code=False)
    if isinstance(exc, ReturnWithoutBinding):
        return failure(invocation_id, exc, user_code=True, with_trace=False)
    return failure(invocation_id, exc, user_code=True)


def prepare(info: FunctionInfo, request: pb.InvocationRequest) -> tuple[dict[str, Any], tuple]:
    """The call's keyword arguments (inputs, Out holders, context) and the Out holders."""
    kwargs = decode_arguments(info, request)
    holders = _add_out_holders(info, kwargs) if info.outputs else ()
    if info.wants_context:
        kwargs["context"] = build_context(
            request.invocation_id,
            info.name,
            info.directory,
            request.trace_context if request.HasField("trace_context") else None,
            request.retry_context if request.HasField("retry_context") else None,
            thread_local_storage,
        )
    return kwargs, holders


def decode_arguments(info: FunctionInfo, request: pb.InvocationRequest) -> dict[str, Any]:
    """Input parameters by name, decoded through the codecs chosen at load."""
    inputs = info.inputs
    metadata = trigger_metadata_datums(request.trigger_metadata) if info.needs_metadata else _NO_METADATA
    kwargs: dict[str, Any] = {}
    for binding in request.input_data:
        param = inputs.get(binding.name)
        if param is None:
            raise BindingError(
                f"the host sent input '{binding.name}', which is not an input binding of "
                f"function '{info.name}' (its inputs are: {', '.join(inputs) or 'none'})"
            )
        data = binding.data if binding.WhichOneof("rpc_data") != "rpc_shared_memory" else _shared(info, binding)
        kwargs[binding.name] = param.codec(data, metadata if param.wants_metadata else _NO_METADATA)
    if len(kwargs) != len(inputs):
        for name in inputs:
            kwargs.setdefault(name, None)
    return kwargs


def _shared(info: FunctionInfo, binding: pb.ParameterBinding) -> Any:
    from .shared_memory import active, transfer

    try:
        return active().read_input(binding.rpc_shared_memory)
    except transfer.InputError as exc:
        raise BindingError(f"function '{info.name}': input '{binding.name}' could not be read: {exc}") from None


def _add_out_holders(info: FunctionInfo, kwargs: dict[str, Any]) -> tuple[tuple[Any, OutValue], ...]:
    holders = []
    for param in info.outputs:
        holder = OutValue()
        kwargs[param.name] = holder
        holders.append((param, holder))
    return tuple(holders)


def answer(invocation_id: str) -> tuple[pb.StreamingMessage, pb.InvocationResponse]:
    """A new answer: the envelope to send, and the InvocationResponse inside it to fill.

    Built in place, so large outputs are not copied again into the envelope.
    """
    message = pb.StreamingMessage()
    response = message.invocation_response
    response.invocation_id = invocation_id
    return message, response


def finish(
    info: FunctionInfo, invocation_id: str, result: Any, holders: tuple[tuple[Any, OutValue], ...]
) -> pb.StreamingMessage:
    """The Success answer: Out values into output_data, the result into return_value."""
    message, response = answer(invocation_id)
    response.result.status = _SUCCESS
    outputs = response.output_data
    direct = shared_memory.direct_writer()  # None unless large outputs may go to shared memory
    for param, holder in holders:
        value = holder.get()
        if value is None:
            continue
        binding = outputs.add(name=param.name)
        if direct is not None and direct(param.codec, value, binding):
            continue
        if not param.codec(value, binding.data):
            del outputs[-1]
    if direct is not None and outputs:
        shared_memory.move_outputs(outputs)
    returns = info.returns
    if returns is not None:
        # None too: the return binding's encoder decides (an http output refuses it)
        if not returns.codec(result, response.return_value):
            response.ClearField("return_value")
    elif result is not None:
        raise ReturnWithoutBinding(
            f"function '{info.name}' returned a value of type {type(result).__name__}, but it has "
            f"no '$return' output binding to send it to; declare one or return None"
        )
    return message


def failure(invocation_id: str, exc: BaseException, *, user_code: bool, with_trace: bool = True) -> pb.StreamingMessage:
    """A Failure answer carrying `exc`."""
    message, response = answer(invocation_id)
    response.result.status = _FAILURE
    fill_exception(response.result.exception, exc, user_code=user_code, with_trace=with_trace)
    return message


def cancelled(invocation_id: str, reason: str) -> pb.StreamingMessage:
    """The Cancelled answer."""
    message, response = answer(invocation_id)
    response.result.status = _CANCELLED
    response.result.result = reason
    return message


def fill_exception(target: pb.RpcException, exc: BaseException, *, user_code: bool, with_trace: bool = True) -> None:
    """Describe `exc` the way the host shows it: `Type: message`, the user's frames, type name."""
    describe.fill(target, exc, user_code=user_code, with_trace=with_trace, keep=describe.user_frames)
