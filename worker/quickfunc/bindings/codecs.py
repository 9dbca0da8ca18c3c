"""Per-parameter codecs, chosen once at load: protobuf straight to Python values and back.

HTTP, the hottest path, goes directly between RpcHttp and func.HttpRequest/HttpResponse with
the same results as the library's converters (a test checks they agree); a queue trigger remembers
its parsed timestamps (queue_message.py); every other binding goes through Datum and the
library's converter as protocol §8.1 describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func
from azure.functions.http import HttpRequest, HttpRequestConverter
from azure.functions.meta import Datum
from azure.functions.queue import QueueMessageInConverter

from ..protos import pb
from . import http as _http
from .convert import BindingSpec, decode_input, encode_output
from .convert import _unsupported_input as unsupported_input
from .datum import to_datum
from .queue_message import queue_message_decoder

#: (the parameter's TypedData, trigger metadata) → the value passed to the function
Decoder = Callable[[pb.TypedData, Mapping[str, Datum]], Any]
#: (the function's value, the TypedData to fill in place) → False for "no value"
Encoder = Callable[[Any, pb.TypedData], bool]

_FAST_BODY_KINDS = frozenset({"bytes", "string", "json", "stream", None})


#: binding types whose library converter turns any other kind of data into a half-made object
#: (its `.body` raises AttributeError later): those kinds are refused at decoding instead
_TEXT_ONLY = frozenset({"string", "json", "bytes"})
_ACCEPTED_KINDS = {"orchestrationTrigger": _TEXT_ONLY, "entityTrigger": _TEXT_ONLY}


def input_decoder(binding: BindingSpec, converter: Any, pytype: Any) -> tuple[Decoder, bool]:
    """The decoder for one input parameter, and whether it reads trigger metadata."""
    if converter is HttpRequestConverter:
        return _http_request_decoder(binding, converter, pytype), False
    decoder = _converter_decoder(binding, converter, pytype)
    if converter is QueueMessageInConverter:
        decoder = queue_message_decoder(converter, decoder)
    accepted = _ACCEPTED_KINDS.get(binding.type)
    if accepted is not None:
        decoder = _only_kinds(decoder, binding, accepted)
    return decoder, bool(converter.has_trigger_support())


def _only_kinds(decode: Decoder, binding: BindingSpec, accepted: frozenset[str]) -> Decoder:
    def checked(data: pb.TypedData, metadata: Mapping[str, Datum]) -> Any:
        if data.WhichOneof("data") not in accepted:
            raise unsupported_input(binding, to_datum(data))
        return decode(data, metadata)

    return checked


def output_encoder(binding: BindingSpec, converter: Any, pytype: Any) -> Encoder:
    """The encoder for one output parameter or return value."""
    if binding.type == "http":
        return _http_response_encoder(binding, converter, pytype)

    def encode(value: Any, target: pb.TypedData) -> bool:
        return _copy_into(encode_output(binding, converter, value, pytype), target)

    return encode


def _copy_into(data: pb.TypedData | None, target: pb.TypedData) -> bool:
    if data is None:
        return False
    target.CopyFrom(data)
    return True


def _converter_decoder(binding: BindingSpec, converter: Any, pytype: Any) -> Decoder:
    def decode(data: pb.TypedData, metadata: Mapping[str, Datum]) -> Any:
        return decode_input(binding, converter, to_datum(data), metadata, pytype)

    return decode


def _http_request_decoder(binding: BindingSpec, converter: Any, pytype: Any) -> Decoder:
    slow = _converter_decoder(binding, converter, pytype)

    def decode(data: pb.TypedData, metadata: Mapping[str, Datum]) -> Any:
        if data.WhichOneof("data") != "http":
            return slow(data, metadata)
        rpc = data.http
        body = rpc.body
        kind = body.WhichOneof("data")
        if kind not in _FAST_BODY_KINDS:
            return slow(data, metadata)
        headers = dict(rpc.headers)
        # the nullable maps replace the plain ones only when a worker asks for them; a request
        # with plain headers never has them, so they are looked at only when there are none
        if not headers and (rpc.nullable_headers or rpc.nullable_query or rpc.nullable_params):
            return slow(data, metadata)
        if kind is None:
            body_type, value = "bytes", b""
        elif kind == "bytes":
            body_type, value = "bytes", body.bytes
        elif kind == "stream":
            body_type, value = "bytes", body.stream
        else:
            body_type, value = kind, getattr(body, kind)
        return HttpRequest(
            method=rpc.method,
            url=rpc.url,
            headers=headers,
            params=dict(rpc.query),
            route_params=dict(rpc.params),
            body_type=body_type,
            body=value,
        )

    return decode


def _http_response_encoder(binding: BindingSpec, converter: Any, pytype: Any) -> Encoder:
    def encode(value: Any, target: pb.TypedData) -> bool:
        kind = type(value)
        if kind is str:
            target.string = value
            return True
        if kind is func.HttpResponse:
            fill_http_response(value, target.http)
            return True
        return _copy_into(encode_output(binding, converter, value, pytype), target)

    return encode


def http_response_typed_data(response: func.HttpResponse) -> pb.TypedData:
    """`TypedData.http` for an HttpResponse, as the library converter + RpcHttp mapping give it."""
    data = pb.TypedData()
    fill_http_response(response, data.http)
    return data


def fill_http_response(response: func.HttpResponse, rpc: pb.RpcHttp) -> None:
    """Fill `rpc` in place (no copy of a large body); the user's response object is left unchanged."""
    rpc.status_code = str(int(response.status_code))
    headers = rpc.headers
    set_cookies: list[str] | None = None
    has_content_type = False
    for name, value in response.headers.items():
        lower = name.lower()
        if lower == "set-cookie":
            if set_cookies is None:
                set_cookies = []
            set_cookies.append(value)
            continue
        if lower == "content-type":
            has_content_type = True
        headers[name] = value
    if not has_content_type:
        mimetype = response.mimetype
        headers["content-type"] = (
            f"{mimetype}; charset={response.charset}" if mimetype.startswith("text/") else mimetype
        )
    if set_cookies:
        for cookie in set_cookies:
            rpc.cookies.extend(_http.cookies_from_header(cookie))
    body = response.get_body()
    rpc.body.bytes = body if body is not None else b""
