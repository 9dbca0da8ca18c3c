"""HTTP outputs: the library's http Datum -> protobuf RpcHttp, and which values an http output takes.

Follows protocol §3.5 and §8.4 (status as text, headers as given, Set-Cookie -> RpcHttpCookie).
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Iterable, Mapping
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Any

from azure.functions import _abc as azf_abc
from azure.functions.http import HttpResponseConverter
from azure.functions.meta import Datum

from quickfunc.protos import pb

__all__ = [
    "datum_to_rpc_http",
    "plain_http_return",
    "http_output_refusal",
    "cookies_from_header",
    "HTTP_OUTPUT_ACCEPTS",
]

#: what an http output binding (or http $return) can be given, for error messages
HTTP_OUTPUT_ACCEPTS = "func.HttpResponse or str"

_SAME_SITE = {
    "lax": pb.RpcHttpCookie.SameSite.Value("Lax"),
    "strict": pb.RpcHttpCookie.SameSite.Value("Strict"),
    "none": pb.RpcHttpCookie.SameSite.Value("ExplicitNone"),
}
_SAME_SITE_UNSET = pb.RpcHttpCookie.SameSite.Value("None")

# Date forms seen in Set-Cookie 'expires' besides the RFC 1123 one email.utils handles.
_EXPIRES_FORMATS = (
    "%a, %d-%b-%Y %H:%M:%S GMT",
    "%a, %d-%b-%y %H:%M:%S GMT",
    "%A, %d-%b-%y %H:%M:%S GMT",
)


def datum_to_rpc_http(d: Datum) -> pb.RpcHttp:
    """Build the RpcHttp response from what ``HttpResponseConverter.encode`` returns."""
    value: Mapping[str, Any] = d.value
    rpc = pb.RpcHttp(
        status_code=_status_text(value.get("status_code")),
        enable_content_negotiation=False,
    )
    headers = rpc.headers
    for name, header in _items(value.get("headers")):
        headers[name] = _header_text(name, header)
    for cookie in _cookie_list(value.get("cookies")):
        rpc.cookies.extend(_cookies_of(cookie))
    rpc.body.bytes = _body_bytes(value.get("body"))
    return rpc


def plain_http_return(value: Any, target: str = "$return") -> Datum:
    """The library's http Datum for what a function gave an http output (`target`: `$return` or
    the Out parameter's name).

    Like the official worker, only `str` and `HttpResponse` (subclasses too) are accepted; for
    anything else, None included, raises TypeError saying what to give instead.
    """
    if isinstance(value, (str, azf_abc.HttpResponse)):
        return HttpResponseConverter.encode(value, expected_type=None)
    raise TypeError(http_output_refusal(value, target))


def http_output_refusal(value: Any, target: str) -> str:
    """Why `value` cannot be sent through an http output, and what to give it instead."""
    what = "None" if value is None else f"a value of type {_type_name(value)}"
    make, tail = _response_for(value)
    instead = f"return {make}" if target == "$return" else f"call {target}.set({make})"
    return (
        f"an HTTP output accepts only {HTTP_OUTPUT_ACCEPTS}, not {what} (Azure fails the "
        f"invocation too, answering 500); {instead}{tail}"
    )


def _response_for(value: Any) -> tuple[str, str]:
    """The response to make instead, and the rest of the sentence."""
    if value is None:
        return "func.HttpResponse(status_code=204)", " for an empty answer"
    if isinstance(value, (bytes, bytearray)):
        return "func.HttpResponse(body)", " instead"
    if isinstance(value, (dict, list, tuple)):
        return 'func.HttpResponse(json.dumps(body), mimetype="application/json")', " instead"
    return "func.HttpResponse(body)", " instead, with a str or bytes body"


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _status_text(status: Any) -> str:
    if isinstance(status, Datum):
        status = status.value
    if status is None:
        return "200"
    if isinstance(status, str):
        return status
    if isinstance(status, int):  # int or http.HTTPStatus
        return str(int(status))
    raise TypeError(f"http response status code must be an int, got {type(status).__name__}")


def _items(headers: Any) -> Iterable[tuple[str, Any]]:
    if headers is None:
        return ()
    if not isinstance(headers, Mapping):
        raise TypeError(f"http response headers must be a mapping, got {type(headers).__name__}")
    return headers.items()


def _header_text(name: Any, header: Any) -> str:
    text = header.value if isinstance(header, Datum) else header
    if not isinstance(name, str) or not isinstance(text, str):
        raise TypeError(f"http response header {name!r} must be a str, got {type(text).__name__}")
    return text


def _body_bytes(body: Any) -> bytes:
    raw = body.value if isinstance(body, Datum) else body
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8")
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return bytes(raw)
    raise TypeError(f"http response body must be str or bytes, got {type(raw).__name__}")


def _cookie_list(cookies: Any) -> Iterable[Any]:
    if cookies is None:
        return ()
    if not isinstance(cookies, (list, tuple)):
        raise TypeError(f"http response cookies must be a list, got {type(cookies).__name__}")
    return cookies


def cookies_from_header(set_cookie: str) -> list[pb.RpcHttpCookie]:
    """The cookies of one `Set-Cookie` header value."""
    return _cookies_of(set_cookie)


def _cookies_of(cookie: Any) -> list[pb.RpcHttpCookie]:
    if isinstance(cookie, str):
        try:
            cookie = SimpleCookie(cookie)
        except CookieError as exc:
            raise ValueError(f"the Set-Cookie header {cookie!r} is not valid: {exc}") from None
    elif not isinstance(cookie, SimpleCookie):
        raise TypeError(f"http response cookies must be SimpleCookie objects, got {type(cookie).__name__}")
    return [_rpc_cookie(morsel) for morsel in cookie.values()]


def _rpc_cookie(morsel: Morsel) -> pb.RpcHttpCookie:
    """One Set-Cookie entry as RpcHttpCookie (protocol §8.4 table)."""
    rpc = pb.RpcHttpCookie(
        name=morsel.key,
        value=morsel.value,
        domain=pb.NullableString(value=morsel["domain"] or ""),
        path=pb.NullableString(value=morsel["path"] or ""),
        secure=pb.NullableBool(value=bool(morsel["secure"])),
        http_only=pb.NullableBool(value=bool(morsel["httponly"])),
        same_site=_SAME_SITE.get(str(morsel["samesite"]).lower(), _SAME_SITE_UNSET),
    )
    if morsel["expires"]:
        rpc.expires.value.seconds = _expires_seconds(morsel.key, morsel["expires"])
    if morsel["max-age"] != "":
        rpc.max_age.value = _max_age(morsel.key, morsel["max-age"])
    return rpc


def _expires_seconds(name: str, expires: Any) -> int:
    """Seconds since the epoch (whole seconds) of a cookie 'expires' attribute."""
    if isinstance(expires, datetime.datetime):
        return int(_as_utc(expires).timestamp())
    text = str(expires).strip()
    try:
        return int(_as_utc(email.utils.parsedate_to_datetime(text)).timestamp())
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _EXPIRES_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=datetime.timezone.utc).timestamp())
    raise ValueError(
        f"the Set-Cookie header for cookie {name!r} has an expires attribute {text!r} "
        f"that is not an HTTP date (e.g. 'Wed, 21 Oct 2015 07:28:00 GMT')"
    )


def _as_utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _max_age(name: str, max_age: Any) -> float:
    try:
        return float(max_age)
    except (TypeError, ValueError):
        raise ValueError(
            f"the Set-Cookie header for cookie {name!r} has a max-age attribute "
            f"{max_age!r} that is not a number of seconds"
        ) from None
