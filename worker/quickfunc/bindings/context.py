"""The ``context`` parameter of a function: invocation id, names, trace and retry info (§8.5).

Classes subclass the library's abstract ones so ``isinstance(context, func.Context)`` holds.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping

import azure.functions as func
from azure.functions import _abc as azf_abc

from quickfunc.protos import pb

__all__ = ["InvocationContext", "RetryContext", "RpcException", "TraceContext", "build_context"]


class RpcException(azf_abc.RpcException):
    """The error that made the host retry this invocation."""

    __slots__ = ("_source", "_stack_trace", "_message")

    def __init__(self, source: str, stack_trace: str, message: str) -> None:
        self._source = source
        self._stack_trace = stack_trace
        self._message = message

    @property
    def source(self) -> str:
        return self._source

    @property
    def stack_trace(self) -> str:
        return self._stack_trace

    @property
    def message(self) -> str:
        return self._message

    def __repr__(self) -> str:
        return f"<RpcException message={self._message!r}>"


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"TraceContext.{old} is deprecated; use TraceContext.{new}",
        DeprecationWarning,
        stacklevel=3,
    )


class TraceContext(azf_abc.TraceContext):
    """W3C trace context of the invocation."""

    __slots__ = ("_trace_parent", "_trace_state", "_attributes")

    def __init__(self, trace_parent: str, trace_state: str, attributes: Mapping[str, str]) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state
        self._attributes = dict(attributes)

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes

    @property
    def Traceparent(self) -> str:  # noqa: N802 - kept for old user code
        _deprecated("Traceparent", "trace_parent")
        return self._trace_parent

    @property
    def Tracestate(self) -> str:  # noqa: N802
        _deprecated("Tracestate", "trace_state")
        return self._trace_state

    @property
    def Attributes(self) -> dict[str, str]:  # noqa: N802
        _deprecated("Attributes", "attributes")
        return self._attributes

    def __repr__(self) -> str:
        return f"<TraceContext trace_parent={self._trace_parent!r}>"


class RetryContext(azf_abc.RetryContext):
    """Retry attempt number, configured maximum and the error that caused the retry."""

    __slots__ = ("_retry_count", "_max_retry_count", "_exception")

    def __init__(self, retry_count: int, max_retry_count: int, exception: RpcException) -> None:
        self._retry_count = retry_count
        self._max_retry_count = max_retry_count
        self._exception = exception

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max_retry_count

    @property
    def exception(self) -> RpcException:
        """The failure that caused this retry; empty (no message) on a first attempt."""
        return self._exception

    def __repr__(self) -> str:
        return f"<RetryContext {self._retry_count}/{self._max_retry_count}>"


class InvocationContext(func.Context):
    """What a function receives as its ``context`` argument."""

    __slots__ = (
        "_invocation_id",
        "_function_name",
        "_function_directory",
        "_trace_context",
        "_retry_context",
        "_thread_local_storage",
    )

    def __init__(
        self,
        invocation_id: str,
        function_name: str,
        function_directory: str,
        trace_context: TraceContext,
        retry_context: RetryContext,
        thread_local_storage: threading.local,
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._trace_context = trace_context
        self._retry_context = retry_context
        self._thread_local_storage = thread_local_storage

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:
        return self._trace_context

    @property
    def retry_context(self) -> RetryContext:
        return self._retry_context

    # The library declares type[threading.local]; the context holds an instance, as the official worker's does.
    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._thread_local_storage

    def __repr__(self) -> str:
        return f"<InvocationContext {self._function_name} {self._invocation_id}>"


_NO_TRACE = pb.RpcTraceContext()
_NO_RETRY = pb.RetryContext()


def build_context(
    invocation_id: str,
    function_name: str,
    function_directory: str,
    trace: pb.RpcTraceContext | None,
    retry: pb.RetryContext | None,
    thread_local_storage: threading.local,
) -> InvocationContext:
    """The context for one invocation; a missing trace or retry context reads as empty/zeros."""
    return InvocationContext(
        invocation_id,
        function_name,
        function_directory,
        _trace_context(trace if trace is not None else _NO_TRACE),
        _retry_context(retry if retry is not None else _NO_RETRY),
        thread_local_storage,
    )


def _trace_context(trace: pb.RpcTraceContext) -> TraceContext:
    return TraceContext(trace.trace_parent, trace.trace_state, trace.attributes)


def _retry_context(retry: pb.RetryContext) -> RetryContext:
    # always an exception, empty on a first attempt, as the official worker gives it (it hands
    # over the protobuf field, which is never None): `retry_context.exception.message` is ""
    e = retry.exception
    return RetryContext(retry.retry_count, retry.max_retry_count, RpcException(e.source, e.stack_trace, e.message))
