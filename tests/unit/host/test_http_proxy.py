"""The proxy's request shaping for HTTP streaming: end-to-end headers only, the RpcHttp with
route values only."""

from __future__ import annotations

from multidict import CIMultiDict

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.http_proxy import _end_to_end, streaming_inputs
from quickfunc.protos import pb


def test_hop_by_hop_headers_and_those_connection_names_are_not_forwarded():
    headers = CIMultiDict(
        [
            ("Host", "example"),
            ("Connection", "keep-alive, X-Private"),
            ("X-Private", "1"),
            ("Transfer-Encoding", "chunked"),
            ("Expect", "100-continue"),
            ("Accept", "text/event-stream"),
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
        ]
    )
    kept = _end_to_end(headers)
    assert list(kept.items()) == [("Accept", "text/event-stream"), ("Cookie", "a=1"), ("Cookie", "b=2")]


def test_the_invocation_carries_only_the_route_values():
    spec = FunctionSpec("f", "id", pb.RpcFunctionMetadata(), [Binding("req", "httpTrigger", "in")])
    inputs = streaming_inputs(spec, {"id": "7"})
    http = inputs.data["req"].http
    assert dict(http.params) == {"id": "7"}
    assert not http.method and not http.url and not http.headers and not http.HasField("body")
    assert inputs.trigger_metadata["id"].string == "7"
    assert inputs.body is None
