"""HTTP trigger input and invocation requests as the host builds them."""

from __future__ import annotations

from quickfunc.host.request_builders import build_invocation, http_request
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
