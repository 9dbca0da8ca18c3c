"""The direct HTTP codecs give exactly what the library converters give, for any input."""

import http

import azure.functions as func
import pytest
from azure.functions.http import HttpRequestConverter, HttpResponseConverter
from hypothesis import given, settings
from hypothesis import strategies as st

from quickfunc.bindings.codecs import http_response_typed_data, input_decoder, output_encoder
from quickfunc.bindings.convert import BindingError, BindingSpec, GenericConverter, decode_input
from quickfunc.bindings.datum import to_datum, to_typed_data
from quickfunc.protos import pb

TRIGGER = BindingSpec(name="req", type="httpTrigger", direction="in")
RETURN = BindingSpec(name="$return", type="http", direction="out")


def _request(method="POST", url="http://h/api/x?a=1", headers=None, query=None, params=None, body=None):
    rpc = pb.RpcHttp(method=method, url=url, headers=headers or {}, query=query or {}, params=params or {})
    if body is not None:
        kind, value = body
        setattr(rpc.body, kind, value)
    return pb.TypedData(http=rpc)


def _slow_request(data):
    return decode_input(TRIGGER, HttpRequestConverter, to_datum(data), {}, func.HttpRequest)


def _same_request(fast, slow):
    assert fast.method == slow.method and fast.url == slow.url
    assert dict(fast.headers) == dict(slow.headers)
    assert dict(fast.params) == dict(slow.params) and dict(fast.route_params) == dict(slow.route_params)
    assert fast.get_body() == slow.get_body()


def test_fast_decoder_is_chosen_for_the_library_http_converter_only():
    decoder, wants_metadata = input_decoder(TRIGGER, HttpRequestConverter, func.HttpRequest)
    assert wants_metadata is False
    generic, _ = input_decoder(BindingSpec("x", "custom", "in"), GenericConverter, None)
    assert generic is not decoder


def test_request_body_kinds_match_the_library():
    decode, _ = input_decoder(TRIGGER, HttpRequestConverter, func.HttpRequest)
    for body in (None, ("bytes", b"\x00\xffraw"), ("string", "héllo"), ("json", '{"a": [1, 2]}'), ("bytes", b"")):
        data = _request(
            headers={"content-type": "application/json", "X-Mixed": "v"},
            query={"a": "1"},
            params={"id": "7"},
            body=body,
        )
        fast, slow = decode(data, {}), _slow_request(data)
        _same_request(fast, slow)
        if body and body[0] == "json":
            assert fast.get_json() == slow.get_json() == {"a": [1, 2]}
    assert decode(_request(headers={"X-Case": "1"}), {}).headers.get("x-case") == "1"


def test_non_http_data_still_gets_the_librarys_error():
    decode, _ = input_decoder(TRIGGER, HttpRequestConverter, func.HttpRequest)
    try:
        decode(pb.TypedData(string="not http"), {})
    except Exception as exc:
        assert "req" in str(exc) and "httpTrigger" in str(exc)
    else:
        raise AssertionError("a string for an http trigger must fail")


texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    headers=st.dictionaries(names, texts, max_size=5),
    query=st.dictionaries(names, texts, max_size=5),
    params=st.dictionaries(names, texts, max_size=3),
    raw=st.binary(max_size=64),
    text=texts,
    kind=st.sampled_from(["bytes", "string", "json", None]),
    method=st.sampled_from(["get", "POST", "Patch"]),
)
def test_any_request_decodes_like_the_library(headers, query, params, raw, text, kind, method):
    body = None if kind is None else (kind, raw if kind == "bytes" else text)
    data = _request(method=method, headers=headers, query=query, params=params, body=body)
    decode, _ = input_decoder(TRIGGER, HttpRequestConverter, func.HttpRequest)
    _same_request(decode(data, {}), _slow_request(data))


def _library_typed_data(make):
    return to_typed_data(HttpResponseConverter.encode(make(), expected_type=None))


RESPONSES = [
    lambda: func.HttpResponse("hi"),
    lambda: func.HttpResponse(b"\x00\x01", status_code=201, mimetype="application/octet-stream"),
    lambda: func.HttpResponse("x", status_code=http.HTTPStatus.ACCEPTED, headers={"X-A": "1", "x-b": "2"}),
    lambda: func.HttpResponse("<p>", mimetype="text/html", charset="latin-1"),
    lambda: func.HttpResponse("{}", headers={"Content-Type": "application/json"}),
    lambda: func.HttpResponse(None, status_code=204),
    lambda: func.HttpResponse("c", headers={"Set-Cookie": "a=1; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=60"}),
    lambda: func.HttpResponse(
        "c", headers={"Set-Cookie": "b=2; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; SameSite=None"}
    ),
]


def test_responses_encode_like_the_library():
    for make in RESPONSES:
        assert http_response_typed_data(make()) == _library_typed_data(make)


def test_several_set_cookie_headers_become_several_cookies():
    def make():
        response = func.HttpResponse("c")
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2; SameSite=Strict")
        return response

    fast = http_response_typed_data(make())
    assert fast == _library_typed_data(make)
    assert [c.name for c in fast.http.cookies] == ["a", "b"]
    assert "Set-Cookie" not in fast.http.headers


def test_fast_encoder_leaves_the_users_response_unchanged():
    response = func.HttpResponse("x", headers={"Set-Cookie": "a=1"})
    http_response_typed_data(response)
    assert response.headers.get("Set-Cookie") == "a=1" and "content-type" not in response.headers


def _encoded(encode, value):
    target = pb.TypedData()
    return target if encode(value, target) else None


class _Text(str):
    pass


class _Response(func.HttpResponse):
    pass


class _Custom:
    pass


#: one value of every kind a function can give an http output
OUTPUT_VALUES = {
    "str": lambda: "plain",
    "str_subclass": lambda: _Text("sub"),
    "bytes": lambda: b"bytes",
    "bytearray": lambda: bytearray(b"ba"),
    "none": lambda: None,
    "dict": lambda: {"a": 1},
    "list": lambda: [1, 2],
    "int": lambda: 7,
    "float": lambda: 2.5,
    "bool": lambda: True,
    "custom": _Custom,
    "response": lambda: func.HttpResponse(b"big" * 1000, status_code=201),
    "response_subclass": lambda: _Response("sub", status_code=202, headers={"X-A": "1"}),
}


@pytest.mark.parametrize("make", OUTPUT_VALUES.values(), ids=OUTPUT_VALUES.keys())
def test_return_encoder_accepts_and_refuses_what_the_library_does(make):
    """The official worker sends what the library's encode gives and fails when it raises."""
    encode = output_encoder(RETURN, HttpResponseConverter, None)
    try:
        expected = _library_typed_data(make)
    except NotImplementedError:
        with pytest.raises(BindingError, match="return func.HttpResponse"):
            _encoded(encode, make())
        return
    assert _encoded(encode, make()) == expected


@settings(max_examples=150, deadline=None)
@given(
    body=st.one_of(st.none(), texts, st.binary(max_size=64)),
    status=st.sampled_from([200, 201, 400, 404, 500]),
    headers=st.dictionaries(
        names.filter(lambda n: n.lower() not in ("set-cookie",)),
        texts.map(lambda t: t.replace("\n", "").replace("\r", "")),
        max_size=4,
    ),
    mimetype=st.sampled_from([None, "text/plain", "application/json", "text/csv"]),
)
def test_any_response_encodes_like_the_library(body, status, headers, mimetype):
    def make():
        return func.HttpResponse(body, status_code=status, headers=dict(headers), mimetype=mimetype)

    assert http_response_typed_data(make()) == _library_typed_data(make)
