"""Build requests the way the Functions host does: load metadata for indexed functions,
HTTP trigger input, InvocationRequests."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping

from quickfunc.host.ids import new_uuid, random_hex
from quickfunc.protos import pb

__all__ = ["indexed_load_metadata", "http_request", "build_invocation", "new_trace_parent", "incoming_trace_context"]

#: a W3C traceparent: version 00 has exactly these four fields; later versions may append more
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-[0-9a-f]{2}(?P<rest>-.*)?"
)


def indexed_load_metadata(indexed: pb.RpcFunctionMetadata, function_id: str = "") -> pb.RpcFunctionMetadata:
    """What the host echoes in a FunctionLoadRequest for a function the worker indexed:
    the indexed metadata without raw_bindings and status, plus properties["FunctionId"]."""
    metadata = pb.RpcFunctionMetadata()
    metadata.CopyFrom(indexed)
    metadata.ClearField("raw_bindings")
    metadata.ClearField("status")
    metadata.function_id = function_id or indexed.function_id
    metadata.properties["FunctionId"] = metadata.function_id
    return metadata


def _pairs(values: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if values is None:
        return []
    if isinstance(values, Mapping):
        return list(values.items())
    return list(values)


def _joined(pairs: list[tuple[str, str]], lower: bool) -> dict[str, str]:
    """Repeated names are joined with ',' (as ASP.NET Core presents them to the host)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower() if lower else name
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def http_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    params: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> pb.TypedData:
    """An HTTP trigger input as the host sends it to a worker with RawHttpBodyBytes/RpcHttpBodyOnly.

    ``query`` defaults to the URL's query string; empty query values are dropped.
    """
    if query is None:
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    http = pb.RpcHttp(
        method=method.upper(),
        url=url,
        headers=_joined(_pairs(headers), lower=True),
        query={k: v for k, v in _joined(_pairs(query), lower=False).items() if v},
        params=dict(params or {}),
    )
    if body:
        http.body.bytes = bytes(body)
    return pb.TypedData(http=http)


def build_invocation(
    function_id: str,
    inputs: Mapping[str, pb.TypedData] | None = None,
    trigger_metadata: Mapping[str, pb.TypedData] | None = None,
    invocation_id: str | None = None,
    trace_parent: str | None = None,
    trace_state: str = "",
) -> pb.InvocationRequest:
    """An InvocationRequest with one ParameterBinding per input (fresh uuid id unless given), in
    the trace `trace_parent` (W3C) names, or in a new one."""
    iid = invocation_id or new_uuid()
    request = pb.InvocationRequest(
        invocation_id=iid,
        function_id=function_id,
        input_data=[pb.ParameterBinding(name=n, data=d) for n, d in (inputs or {}).items()],
    )
    for name, value in (trigger_metadata or {}).items():
        request.trigger_metadata[name].CopyFrom(value)
    # the host always sends its current activity as a W3C traceparent; a new trace is sampled
    # ("01"), as the host's own OpenTelemetry sampler does by default, so the app's spans are kept
    request.trace_context.trace_parent = trace_parent or new_trace_parent()
    if trace_state:
        request.trace_context.trace_state = trace_state
    return request


def new_trace_parent() -> str:
    """A W3C traceparent starting a new sampled trace: version 00, random trace and span ids."""
    return f"00-{random_hex(32)}-{random_hex(16)}-01"


def incoming_trace_context(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(traceparent, tracestate) of an HTTP request, ("", "") when its traceparent is missing or not
    valid W3C (then the trace starts anew and tracestate is dropped, as ASP.NET Core does)."""
    parent = state = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "traceparent" and not parent:
            parent = value.strip()
        elif lowered == "tracestate":
            state = f"{state},{value.strip()}" if state else value.strip()
    match = _TRACEPARENT.fullmatch(parent)
    if (
        match is None
        or match["version"] == "ff"
        or (match["version"] == "00" and match["rest"])
        or not match["trace"].strip("0")
        or not match["span"].strip("0")
    ):
        return "", ""
    return parent, state
