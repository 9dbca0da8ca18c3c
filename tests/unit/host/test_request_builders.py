"""HTTP trigger input and invocation requests as the host builds them."""

from __future__ import annotations

from quickfunc.host.request_builders import build_invocation, http_request, incoming_trace_context, new_trace_parent
from quickfunc.protos import pb


def test_http_request_lower_cases_headers_and_joins_repeats():
    data = http_request(
        "post", "http://localhost:7071/api/f", [("Content-Type", "text/plain"), ("X-Tag", "a"), ("x-tag", "b")]
    )
    http = data.http
    assert http.method == "POST"
    assert http.url == "http://localhost:7071/api/f"
    assert dict(http.headers) == {"content-type": "text/plain", "x-tag": "a,b"}


def test_http_request_body_is_bytes_only_when_non_empty():
    assert http_request("POST", "http://h/", body=b"\x00\xff").http.body.bytes == b"\x00\xff"
    assert not http_request("POST", "http://h/", body=b"").http.HasField("body")
    assert not http_request("GET", "http://h/").http.HasField("body")
    assert not http_request("GET", "http://h/").http.HasField("rawBody")


def test_http_request_query_comes_from_the_url_without_empty_values():
    http = http_request("GET", "http://h/api/f?name=Ann&empty=&x=1&x=2").http
    assert dict(http.query) == {"name": "Ann", "x": "1,2"}


def test_http_request_explicit_query_and_route_params():
    http = http_request("GET", "http://h/api/items/7", query={"q": "v", "blank": ""}, params={"id": "7"}).http
    assert dict(http.query) == {"q": "v"}
    assert dict(http.params) == {"id": "7"}


def test_build_invocation_binds_inputs_by_name_with_fresh_ids():
    req = build_invocation(
        "fid",
        {"req": http_request("GET", "http://h/"), "doc": pb.TypedData(string="s")},
        trigger_metadata={"Id": pb.TypedData(string="42")},
    )
    assert req.function_id == "fid"
    assert [b.name for b in req.input_data] == ["req", "doc"]
    assert req.input_data[1].data.string == "s"
    assert req.trigger_metadata["Id"].string == "42"
    assert req.trace_context.trace_parent.startswith("00-")
    other = build_invocation("fid", {})
    assert other.invocation_id and other.invocation_id != req.invocation_id
    assert build_invocation("fid", invocation_id="given").invocation_id == "given"


CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_new_trace_is_a_valid_sampled_w3c_traceparent_each_time():
    first, second = (build_invocation("fid").trace_context.trace_parent for _ in range(2))
    for parent in (first, second, new_trace_parent()):
        version, trace_id, span_id, flags = parent.split("-")
        assert (version, flags, len(trace_id), len(span_id)) == ("00", "01", 32, 16)
        assert int(trace_id, 16) and int(span_id, 16)
    assert first.split("-")[1] != second.split("-")[1]


def test_build_invocation_carries_the_given_trace_context():
    context = build_invocation("fid", trace_parent=CALLER, trace_state="a=1").trace_context
    assert (context.trace_parent, context.trace_state) == (CALLER, "a=1")


def test_the_callers_traceparent_and_tracestate_are_taken_from_the_headers_in_any_case():
    headers = [("TraceParent", CALLER), ("tracestate", "a=1"), ("TRACESTATE", "b=2")]
    assert incoming_trace_context(headers) == (CALLER, "a=1,b=2")
    assert incoming_trace_context([("traceparent", CALLER)]) == (CALLER, "")
    future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more"
    assert incoming_trace_context([("traceparent", future)]) == (future, "")


def test_a_missing_or_invalid_traceparent_starts_a_new_trace_and_drops_tracestate():
    bad = [
        "",
        "garbage",
        CALLER.upper(),  # W3C ids are lower-case hex
        CALLER + "-extra",  # version 00 has exactly four fields
        "ff" + CALLER[2:],
        "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ]
    for value in bad:
        assert incoming_trace_context([("traceparent", value), ("tracestate", "a=1")]) == ("", ""), value
    assert incoming_trace_context([("tracestate", "a=1")]) == ("", "")
