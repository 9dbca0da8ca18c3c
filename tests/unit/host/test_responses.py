"""How function outputs become HTTP responses (protocol §8.4) and log text."""

from __future__ import annotations

import json

from quickfunc.host.responses import cookie_header, describe_value, reply_from_value
from quickfunc.protos import pb


def _http(**kw) -> pb.TypedData:
    return pb.TypedData(http=pb.RpcHttp(**kw))


def test_rpc_http_status_headers_and_body():
    reply = reply_from_value(
        _http(status_code="201", headers={"X-A": "1", "content-type": "a/b"}, body=pb.TypedData(bytes=b"made"))
    )
    assert (reply.status, reply.body) == (201, b"made")
    assert reply.header("x-a") == "1" and reply.header("Content-Type") == "a/b"


def test_rpc_http_without_status_is_200_and_bad_status_is_500():
    assert reply_from_value(_http(body=pb.TypedData(bytes=b""))).status == 200
    assert reply_from_value(_http(status_code="abc")).status == 500
    assert reply_from_value(_http(status_code="1000")).status == 500


def test_server_managed_and_unsafe_headers_are_dropped():
    reply = reply_from_value(_http(headers={"Content-Length": "99", "X-Bad": "a\r\nb", "X-Ok": "fine"}))
    assert reply.header("content-length") is None and reply.header("x-ok") == "fine"
    assert reply.dropped == ["X-Bad"]


def test_cookies_become_set_cookie_headers():
    cookie = pb.RpcHttpCookie(name="s", value="v", same_site=pb.RpcHttpCookie.SameSite.Value("Strict"))
    cookie.path.value = "/"
    cookie.domain.value = "example.org"
    cookie.http_only.value = True
    cookie.secure.value = True
    cookie.max_age.value = 60
    cookie.expires.value.FromSeconds(0)
    text = cookie_header(cookie)
    assert text == (
        "s=v; Domain=example.org; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
        "Max-Age=60; Secure; HttpOnly; SameSite=Strict"
    )
    reply = reply_from_value(_http(cookies=[cookie, pb.RpcHttpCookie(name="t", value="2")]))
    assert [v for k, v in reply.headers if k == "Set-Cookie"][1] == "t=2"


def test_plain_values_are_a_200_body():
    text = reply_from_value(pb.TypedData(string="hi"))
    assert (text.status, text.body, text.header("content-type")) == (200, b"hi", "text/plain; charset=utf-8")
    raw = reply_from_value(pb.TypedData(bytes=b"\x00\x01"))
    assert raw.body == b"\x00\x01" and raw.header("content-type") == "application/octet-stream"
    number = reply_from_value(pb.TypedData(int=7))
    assert number.body == b"7"


def test_json_without_a_body_key_is_the_body():
    reply = reply_from_value(pb.TypedData(json='{"a": 1}'))
    assert reply.status == 200 and json.loads(reply.body) == {"a": 1}
    content_type = reply.header("content-type")
    assert content_type is not None and content_type.startswith("application/json")


def test_json_with_a_body_key_is_read_as_a_response():
    obj = {
        "Body": {"ok": True},
        "StatusCode": "202",
        "headers": {"X-J": "y"},
        "cookies": [{"name": "c", "value": "d", "httpOnly": True, "path": "/"}],
    }
    reply = reply_from_value(pb.TypedData(json=json.dumps(obj)))
    assert reply.status == 202
    assert json.loads(reply.body) == {"ok": True}
    assert reply.header("x-j") == "y"
    assert reply.header("set-cookie") == "c=d; Path=/; HttpOnly"
    text = reply_from_value(pb.TypedData(json='{"body": "text", "status": 404}'))
    assert (text.status, text.body) == (404, b"text")


def test_no_value_is_200_with_an_empty_body():
    assert (reply_from_value(None).status, reply_from_value(None).body) == (200, b"")
    assert reply_from_value(pb.TypedData()).status == 200


def test_describe_value_is_short_and_readable():
    assert describe_value(pb.TypedData(string="hello")) == "hello"
    assert describe_value(pb.TypedData(bytes=b"text")) == "text"
    assert describe_value(pb.TypedData(bytes=b"\xff\xfe")) == "<2 bytes>"
    assert describe_value(pb.TypedData(json='["a"]')) == '["a"]'
    long = describe_value(pb.TypedData(string="x" * 1000), limit=10)
    assert long.startswith("x" * 10) and "1000 characters" in long
    strings = pb.TypedData(collection_string=pb.CollectionString(string=["a", "b"]))
    assert describe_value(strings) == '["a", "b"]'
