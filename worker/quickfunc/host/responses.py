"""Turn a function's HTTP output into a response the way the host does (protocol §8.4), and any
output value into a short text for log lines."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from quickfunc.host.jsonfile import get_ci
from quickfunc.protos import pb

_MISSING = object()

__all__ = [
    "HttpReply",
    "reply_from_value",
    "reply_from_http",
    "reply_without_output",
    "cookie_header",
    "describe_value",
    "typed_value",
]

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
BINARY = "application/octet-stream"
#: headers the server computes itself; a function's values for them are dropped
_SERVER_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}
_SAME_SITE = {1: "Lax", 2: "Strict", 3: "None"}
#: what Kestrel lets the host send: a header name is an HTTP token, a value is printable ASCII
#: or tab; anything else makes it throw ("Invalid non-ASCII or control character in header")
#: and the request gets a 500
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


@dataclass
class HttpReply:
    """Status, headers (Set-Cookie included) and body of one HTTP response."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: headers the host cannot send (bad names or values): the response becomes a 500
    dropped: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def add_header(self, name: str, value: Any) -> None:
        text = str(value)
        if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(text):
            self.dropped.append(name)
            return
        if name.lower() in _SERVER_HEADERS:
            return
        self.headers.append((name, text))


def typed_value(data: pb.TypedData) -> Any:
    """A TypedData as a plain Python value (None when empty)."""
    kind = data.WhichOneof("data")
    if kind is None:
        return None
    if kind == "collection_bytes":
        return list(data.collection_bytes.bytes)
    if kind == "collection_string":
        return list(data.collection_string.string)
    if kind == "collection_double":
        return list(data.collection_double.double)
    if kind == "collection_sint64":
        return list(data.collection_sint64.sint64)
    return getattr(data, kind)


def _body(data: pb.TypedData) -> tuple[bytes, str | None]:
    """Body bytes and the content type they default to."""
    kind = data.WhichOneof("data")
    if kind is None:
        return b"", None
    if kind in ("bytes", "stream"):
        return bytes(getattr(data, kind)), BINARY
    if kind == "string":
        return data.string.encode("utf-8"), TEXT
    if kind == "json":
        return data.json.encode("utf-8"), JSON
    if kind in ("int", "double"):
        return str(getattr(data, kind)).encode("utf-8"), TEXT
    if kind.startswith("collection_"):
        value = typed_value(data)
        if kind == "collection_bytes":
            value = [b.decode("utf-8", "replace") for b in value]
        return json.dumps(value).encode("utf-8"), JSON
    return b"", None


def _status(text: Any) -> int:
    try:
        status = int(str(text).strip()) if str(text).strip() else 200
    except ValueError:
        return 500
    return status if 100 <= status <= 599 else 500


def _escaped(value: Any) -> str:
    """A cookie value as the host writes it: ASP.NET Core's Cookies.Append escapes it with
    Uri.EscapeDataString (everything but letters, digits and ``-_.~``)."""
    return quote(str(value), safe="-_.~")


def cookie_header(cookie: pb.RpcHttpCookie) -> str:
    """An RpcHttpCookie as a Set-Cookie value."""
    parts = [f"{cookie.name}={_escaped(cookie.value)}"]
    if cookie.HasField("domain") and cookie.domain.value:
        parts.append(f"Domain={cookie.domain.value}")
    if cookie.HasField("path") and cookie.path.value:
        parts.append(f"Path={cookie.path.value}")
    if cookie.HasField("expires") and cookie.expires.HasField("value"):
        moment = cookie.expires.value.ToDatetime().replace(tzinfo=timezone.utc)
        parts.append(f"Expires={format_datetime(moment, usegmt=True)}")
    if cookie.HasField("max_age"):
        parts.append(f"Max-Age={int(cookie.max_age.value)}")
    if cookie.HasField("secure") and cookie.secure.value:
        parts.append("Secure")
    if cookie.HasField("http_only") and cookie.http_only.value:
        parts.append("HttpOnly")
    if cookie.same_site in _SAME_SITE:
        parts.append(f"SameSite={_SAME_SITE[cookie.same_site]}")
    return "; ".join(parts)


def reply_from_http(http: pb.RpcHttp) -> HttpReply:
    """An RpcHttp response: status_code, headers, cookies, body."""
    reply = HttpReply(_status(http.status_code))
    for name, value in http.headers.items():
        reply.add_header(name, value)
    for cookie in http.cookies:
        reply.add_header("Set-Cookie", cookie_header(cookie))
    reply.body, default_type = _body(http.body)
    if default_type and reply.header("content-type") is None:
        reply.add_header("Content-Type", default_type)
    return reply


def _json_cookie(cookie: dict[str, Any]) -> str:
    parts = [f"{get_ci(cookie, 'name', '')}={_escaped(get_ci(cookie, 'value', ''))}"]
    for key, label in (
        ("domain", "Domain"),
        ("path", "Path"),
        ("expires", "Expires"),
        ("maxAge", "Max-Age"),
        ("sameSite", "SameSite"),
    ):
        value = get_ci(cookie, key)
        if value not in (None, ""):
            parts.append(f"{label}={value}")
    for key, label in (("secure", "Secure"), ("httpOnly", "HttpOnly")):
        if get_ci(cookie, key) is True:
            parts.append(label)
    return "; ".join(parts)


def _json_status(obj: dict[str, Any]) -> int:
    """The status of a response object as the host reads it: ``statusCode`` if the key is there
    (whatever its value), else ``status``; a whole number or a text holding one, anything else
    (a fraction, true, null, "abc") leaves it at 200."""
    value = get_ci(obj, "statusCode", _MISSING)
    if value is _MISSING:
        value = get_ci(obj, "status", _MISSING)
    if isinstance(value, bool) or value is _MISSING:
        return 200
    if isinstance(value, int):
        return _status(value)
    if isinstance(value, str):
        try:
            return _status(int(value.strip()))
        except ValueError:
            return 200
    return 200


def _response_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object with a ``body`` key (any case), which the host reads as a
    response; None for anything else."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(obj, dict) and get_ci(obj, "body", _MISSING) is not _MISSING:
        return obj
    return None


def _reply_from_json_object(obj: dict[str, Any]) -> HttpReply:
    """A JSON object with a ``body`` key, read like an HTTP response (keys in any case)."""
    reply = HttpReply(_json_status(obj))
    headers = get_ci(obj, "headers") or {}
    if isinstance(headers, dict):
        for name, value in headers.items():
            reply.add_header(name, value)
    for cookie in get_ci(obj, "cookies") or []:
        if isinstance(cookie, dict):
            reply.add_header("Set-Cookie", _json_cookie(cookie))
    body = get_ci(obj, "body")
    if body is None:
        default_type = None
    elif isinstance(body, str):
        reply.body, default_type = body.encode("utf-8"), TEXT
    else:
        reply.body, default_type = json.dumps(body).encode("utf-8"), JSON
    if default_type and reply.header("content-type") is None:
        reply.add_header("Content-Type", default_type)
    return reply


def reply_from_value(data: pb.TypedData | None) -> HttpReply:
    """The response for a function's http output value (no value: 200 with an empty body,
    as the Functions host answers when a function sets no response)."""
    if data is None or data.WhichOneof("data") is None:
        return HttpReply(200)
    if data.WhichOneof("data") == "http":
        return reply_from_http(data.http)
    if data.WhichOneof("data") in ("json", "string"):  # a string is tried as JSON too
        obj = _response_object(data.json or data.string)
        if obj is not None:
            return _reply_from_json_object(obj)
    reply = HttpReply(200)
    reply.body, default_type = _body(data)
    if default_type:
        reply.add_header("Content-Type", default_type)
    return reply


def reply_without_output() -> HttpReply:
    """The answer of an HTTP function that has no http output binding at all: 204, as the host."""
    return HttpReply(204)


def describe_value(data: pb.TypedData, limit: int = 300) -> str:
    """A short text for an output value in a log line."""
    kind = data.WhichOneof("data")
    if kind is None:
        text = "(no value)"
    elif kind == "http":
        text = f"HTTP {data.http.status_code or 200}, {len(reply_from_http(data.http).body)} bytes"
    elif kind in ("bytes", "stream"):
        raw = bytes(getattr(data, kind))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = f"<{len(raw)} bytes>"
    elif kind.startswith("collection_"):
        text = json.dumps(typed_value(data), default=lambda b: b.decode("utf-8", "replace"))
    else:
        text = str(getattr(data, kind))
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text)} characters)"
    return text
