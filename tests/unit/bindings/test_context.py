"""Tests for quickfunc.bindings.context: the context parameter built from the invocation request."""

import threading
import warnings

import azure.functions as func
import pytest
from azure.functions import _abc as azf_abc

from quickfunc.bindings.context import InvocationContext, build_context
from quickfunc.protos import pb

TLS = threading.local()


def make(trace=None, retry=None):
    return build_context("inv-1", "HttpFunc", "/app/HttpFunc", trace, retry, TLS)


def test_basic_attributes_and_library_type():
    ctx = make()
    assert isinstance(ctx, func.Context) and isinstance(ctx, InvocationContext)
    assert ctx.invocation_id == "inv-1"
    assert ctx.function_name == "HttpFunc"
    assert ctx.function_directory == "/app/HttpFunc"
    assert ctx.thread_local_storage is TLS


def test_trace_context_from_request():
    trace = pb.RpcTraceContext(trace_parent="00-abc-def-01", trace_state="k=v", attributes={"ProcessId": "12"})
    tc = make(trace=trace).trace_context
    assert isinstance(tc, azf_abc.TraceContext)
    assert tc.trace_parent == "00-abc-def-01"
    assert tc.trace_state == "k=v"
    assert tc.attributes == {"ProcessId": "12"}
    assert type(tc.attributes) is dict


def test_trace_context_deprecated_aliases_warn_and_agree():
    tc = make(trace=pb.RpcTraceContext(trace_parent="p", trace_state="s", attributes={"a": "b"})).trace_context
    with pytest.warns(DeprecationWarning, match="trace_parent"):
        assert tc.Traceparent == "p"
    with pytest.warns(DeprecationWarning):
        assert tc.Tracestate == "s"
    with pytest.warns(DeprecationWarning):
        assert tc.Attributes == {"a": "b"}


def test_missing_trace_context_is_empty():
    tc = make().trace_context
    assert (tc.trace_parent, tc.trace_state, tc.attributes) == ("", "", {})


def test_retry_context_with_exception():
    retry = pb.RetryContext(
        retry_count=2, max_retry_count=5, exception=pb.RpcException(source="Host", stack_trace="at x", message="boom")
    )
    rc = make(retry=retry).retry_context
    assert isinstance(rc, azf_abc.RetryContext)
    assert (rc.retry_count, rc.max_retry_count) == (2, 5)
    assert isinstance(rc.exception, azf_abc.RpcException)
    assert (rc.exception.source, rc.exception.stack_trace, rc.exception.message) == ("Host", "at x", "boom")


def test_retry_context_without_exception_or_without_retry_policy_has_an_empty_exception():
    """As the official worker gives it: the exception is there, empty, so `.message` is ""."""
    rc = make(retry=pb.RetryContext(retry_count=1, max_retry_count=3)).retry_context
    assert rc.retry_count == 1
    assert (rc.exception.source, rc.exception.stack_trace, rc.exception.message) == ("", "", "")
    rc = make().retry_context
    assert (rc.retry_count, rc.max_retry_count, rc.exception.message) == (0, 0, "")


def test_unset_proto_fields_of_a_request_read_as_empty():
    req = pb.InvocationRequest(invocation_id="i")
    ctx = build_context(req.invocation_id, "f", "/d", req.trace_context, req.retry_context, TLS)
    assert ctx.trace_context.trace_parent == "" and ctx.retry_context.exception.message == ""


def test_context_is_read_only():
    ctx = make()
    with pytest.raises(AttributeError):
        ctx.invocation_id = "other"


def test_context_has_no_warnings_on_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ctx = make()
        _ = (ctx.trace_context.trace_parent, ctx.retry_context.retry_count, repr(ctx))
