"""Tests for quickfunc.bindings.http and the http request/response path via the library converters."""

import datetime

import azure.functions as func
import pytest
from azure.functions.http import HttpRequestConverter, HttpResponseConverter
from azure.functions.meta import Datum

from quickfunc.bindings.datum import to_datum, to_typed_data
from quickfunc.bindings.http import datum_to_rpc_http, plain_http_return
from quickfunc.protos import pb

SAME_SITE = pb.RpcHttpCookie.SameSite


def http_datum(rpc: pb.RpcHttp) -> Datum:
    d = to_datum(pb.TypedData(http=rpc))
    assert d is not None
    return d


def http_of(value) -> pb.RpcHttp:
    """The RpcHttp a plain HTTP return value is sent as."""
    td = to_typed_data(plain_http_return(value))
    assert td is not None, f"{value!r} was sent as no value"
    return td.http


def request(body: pb.TypedData | None = None, **kw) -> func.HttpRequest:
    rpc = pb.RpcHttp(method=kw.pop("method", "get"), url=kw.pop("url", "http://localhost/api/f"), **kw)
    if body is not None:
        rpc.body.CopyFrom(body)
    return HttpRequestConverter.decode(http_datum(rpc), trigger_metadata={})


def response_rpc(resp) -> pb.RpcHttp:
    return datum_to_rpc_http(HttpResponseConverter.encode(resp, expected_type=None))


# ------------------------------------------------------------------ requests


def test_request_method_url_and_case_insensitive_headers():
    req = request(
        method="post", url="http://localhost/api/f?x=1", headers={"content-type": "application/json", "x-custom": "v"}
    )
    assert req.method == "POST"
    assert req.url == "http://localhost/api/f?x=1"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-CUSTOM"] == "v"


def test_request_query_and_route_params():
    req = request(query={"name": "Ada"}, params={"id": "42"})
    assert req.params == {"name": "Ada"}
    assert req.route_params == {"id": "42"}


def test_request_bytes_body_and_get_json():
    req = request(pb.TypedData(bytes=b'{"a": [1, 2]}'))
    assert req.get_body() == b'{"a": [1, 2]}'
    assert req.get_json() == {"a": [1, 2]}


def test_request_string_and_json_bodies_are_text():
    assert request(pb.TypedData(string="héllo")).get_body() == "héllo".encode()
    assert request(pb.TypedData(json='{"k": true}')).get_json() == {"k": True}


def test_request_without_body_has_empty_body():
    req = request()
    assert req.get_body() == b""
    with pytest.raises(ValueError):
        req.get_json()


def test_request_from_nullable_maps():
    rpc = pb.RpcHttp(method="GET", url="u")
    rpc.nullable_headers["Accept"].value = "text/html"
    rpc.nullable_query["blank"].CopyFrom(pb.NullableString())
    req = HttpRequestConverter.decode(http_datum(rpc), trigger_metadata={})
    assert req.headers["accept"] == "text/html"
    assert req.params == {"blank": ""}


def test_request_form_body_is_parsed_lazily():
    req = request(pb.TypedData(bytes=b"a=1&b=two"), headers={"content-type": "application/x-www-form-urlencoded"})
    assert req.form["b"] == "two"


# ------------------------------------------------------------------ responses


def test_response_status_headers_and_body():
    rpc = response_rpc(func.HttpResponse("created", status_code=201, headers={"X-Id": "7"}))
    assert rpc.status_code == "201"
    assert rpc.headers["X-Id"] == "7"
    assert rpc.headers["content-type"] == "text/plain; charset=utf-8"
    assert rpc.body.bytes == b"created"
    assert rpc.enable_content_negotiation is False


def test_response_mimetype_and_charset_make_the_content_type():
    rpc = response_rpc(func.HttpResponse("é", mimetype="text/html", charset="latin-1"))
    assert rpc.headers["content-type"] == "text/html; charset=latin-1"
    assert rpc.body.bytes == "é".encode("latin-1")
    rpc = response_rpc(func.HttpResponse(b"\x00", mimetype="image/png"))
    assert rpc.headers["content-type"] == "image/png"


def test_response_explicit_content_type_wins():
    rpc = response_rpc(func.HttpResponse("{}", headers={"Content-Type": "application/json"}, mimetype="text/plain"))
    assert rpc.headers["Content-Type"] == "application/json"
    assert "content-type" not in rpc.headers


def test_response_without_body_still_sets_empty_bytes_body():
    rpc = response_rpc(func.HttpResponse(status_code=204))
    assert rpc.HasField("body") and rpc.body.WhichOneof("data") == "bytes"
    assert rpc.body.bytes == b""
    # survives the wire
    assert pb.RpcHttp.FromString(rpc.SerializeToString()).HasField("body")


def test_http_status_enum_is_written_as_number():
    import http

    resp = func.HttpResponse(status_code=http.HTTPStatus.NOT_FOUND)
    assert response_rpc(resp).status_code == "404"


def test_set_cookie_with_every_attribute():
    resp = func.HttpResponse(
        "x",
        headers={
            "Set-Cookie": (
                "sid=abc; Domain=example.com; Path=/app; Expires=Wed, 21 Oct 2015 07:28:00 GMT; "
                "Max-Age=3600; Secure; HttpOnly; SameSite=Strict"
            )
        },
    )
    rpc = response_rpc(resp)
    assert "Set-Cookie" not in rpc.headers
    [c] = rpc.cookies
    assert (c.name, c.value) == ("sid", "abc")
    assert c.domain.value == "example.com" and c.path.value == "/app"
    expected = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.timezone.utc)
    assert c.expires.value.seconds == int(expected.timestamp())
    assert c.expires.value.nanos == 0
    assert c.max_age.value == 3600.0
    assert c.secure.value is True and c.http_only.value is True
    assert c.same_site == SAME_SITE.Value("Strict")


def test_minimal_cookie_has_present_but_empty_optional_parts():
    [c] = response_rpc(func.HttpResponse(headers={"Set-Cookie": "a=1"})).cookies
    assert (c.name, c.value) == ("a", "1")
    assert c.HasField("domain") and c.domain.value == ""
    assert c.HasField("path") and c.path.value == ""
    assert c.HasField("secure") and c.secure.value is False
    assert c.HasField("http_only") and c.http_only.value is False
    assert not c.HasField("expires") and not c.HasField("max_age")
    assert c.same_site == SAME_SITE.Value("None")


@pytest.mark.parametrize(
    "attr, expected",
    [
        ("SameSite=None", "ExplicitNone"),
        ("SameSite=none", "ExplicitNone"),
        ("SameSite=Lax", "Lax"),
        ("SameSite=strict", "Strict"),
        ("Path=/", "None"),
    ],
)
def test_same_site_values(attr, expected):
    [c] = response_rpc(func.HttpResponse(headers={"Set-Cookie": f"a=1; {attr}"})).cookies
    assert c.same_site == SAME_SITE.Value(expected)


def test_several_set_cookie_headers_become_several_cookies():
    resp = func.HttpResponse("x")
    resp.headers.add("Set-Cookie", "a=1; Path=/")
    resp.headers.add("Set-Cookie", "b=2; Max-Age=0")
    resp.headers.add("X-Other", "o")
    rpc = response_rpc(resp)
    assert [(c.name, c.value) for c in rpc.cookies] == [("a", "1"), ("b", "2")]
    assert rpc.cookies[1].max_age.value == 0.0 and rpc.cookies[1].HasField("max_age")
    assert dict(rpc.headers) == {"X-Other": "o", "content-type": "text/plain; charset=utf-8"}


def test_dashed_cookie_expires_form():
    [c] = response_rpc(func.HttpResponse(headers={"Set-Cookie": "a=1; expires=Wed, 21-Oct-2015 07:28:00 GMT"})).cookies
    assert c.expires.value.seconds == 1445412480


def test_unparseable_cookie_expires_names_the_cookie():
    resp = func.HttpResponse(headers={"Set-Cookie": "sid=1; expires=someday"})
    with pytest.raises(ValueError, match="'sid'.*expires"):
        response_rpc(resp)


def test_str_response_is_a_string_datum():
    assert to_typed_data(HttpResponseConverter.encode("hi", expected_type=None)) == pb.TypedData(string="hi")


# ------------------------------------------------------------------ plain returns


@pytest.mark.parametrize(
    "value", [b"\x01\x02", bytearray(b"z"), None, {"a": [1, None]}, [1, "two"], 3, 2.5, True, {}, object()]
)
def test_only_str_and_responses_are_http_outputs(value):
    """Like the library's converter (which the official worker calls), everything else is refused."""
    with pytest.raises(NotImplementedError):
        HttpResponseConverter.encode(value, expected_type=None)
    with pytest.raises(TypeError, match="accepts only func.HttpResponse or str"):
        plain_http_return(value)


def test_plain_return_of_str_or_response_goes_through_the_library():
    assert to_typed_data(plain_http_return("s")) == pb.TypedData(string="s")
    assert http_of(func.HttpResponse("r", status_code=418)).status_code == "418"


@pytest.mark.parametrize("value", [object(), {1, 2}, {"k": object()}])
def test_refusal_says_what_to_return_instead(value):
    with pytest.raises(TypeError) as info:
        plain_http_return(value)
    message = str(info.value)
    assert type(value).__name__ in message
    assert "return func.HttpResponse(" in message


def test_refusal_for_an_out_parameter_says_how_to_set_it():
    with pytest.raises(TypeError, match=r"call res\.set\(func\.HttpResponse\(body\)\)"):
        plain_http_return(b"x", "res")
