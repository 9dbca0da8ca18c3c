"""An InvocationRequest serialised for the EventStream with its HTTP body joined in once: the body
never enters a protobuf message, so a large upload is copied once on its way to the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quickfunc.protos import pb

__all__ = ["HttpBody", "PreparedInvocation", "prepare_invocation"]


def _number(message: Any, field: str) -> int:
    return message.DESCRIPTOR.fields_by_name[field].number


_INVOCATION_REQUEST = _number(pb.StreamingMessage, "invocation_request")
_INPUT_DATA = _number(pb.InvocationRequest, "input_data")
_BINDING_DATA = _number(pb.ParameterBinding, "data")
_HTTP = _number(pb.TypedData, "http")
_BODY = _number(pb.RpcHttp, "body")
_RAW_BODY = _number(pb.RpcHttp, "rawBody")
#: TypedData fields a body can travel in (string and json only for valid UTF-8)
BODY_KINDS = {kind: _number(pb.TypedData, kind) for kind in ("bytes", "string", "json")}


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _Pieces:
    """Wire bytes kept as a list of parts (a body is one part, never copied) and their length."""

    def __init__(self, *parts: bytes | bytearray) -> None:
        self.parts = list(parts)
        self.size = sum(len(p) for p in parts)

    def add(self, other: _Pieces) -> _Pieces:
        self.parts += other.parts
        self.size += other.size
        return self

    def wrapped(self, number: int) -> _Pieces:
        """These bytes as the value of length-delimited field ``number``."""
        return _Pieces(_varint(number << 3 | 2) + _varint(self.size)).add(self)


@dataclass
class HttpBody:
    """An HTTP trigger's request body, kept out of protobuf until the request is serialised."""

    #: the input binding whose RpcHttp carries it
    binding: str
    content: bytes | bytearray
    #: the TypedData field it travels in: "bytes", or "string" / "json" (valid UTF-8 only)
    kind: str = "bytes"
    #: also sent as rawBody (workers without the RpcHttpBodyOnly capability)
    raw_too: bool = False

    def take(self) -> bytes | bytearray:
        """Hand the content over (this record lets go of it)."""
        content, self.content = self.content, b""
        return content


@dataclass
class PreparedInvocation:
    """An InvocationRequest already serialised as a StreamingMessage, ready for a channel (the
    host's gRPC serializer, rpc_server.serialize_outgoing, hands its bytes over)."""

    invocation_id: str
    wire: bytes

    def take(self) -> bytes:
        """Hand the bytes over to the transport (this record lets go of them)."""
        wire, self.wire = self.wire, b""
        return wire


def prepare_invocation(request: pb.InvocationRequest, body: HttpBody | None = None) -> PreparedInvocation:
    """Serialise ``request`` as a StreamingMessage; ``body`` (taken from its record) becomes the
    body of the RpcHttp in the input binding it names, which must carry no body of its own."""
    content = body.take() if body is not None else b""
    if body is None or not content:
        wire = _Pieces(request.SerializeToString()).wrapped(_INVOCATION_REQUEST)
        return PreparedInvocation(request.invocation_id, b"".join(wire.parts))
    index = next((i for i, b in enumerate(request.input_data) if b.name == body.binding), None)
    if index is None or request.input_data[index].data.WhichOneof("data") != "http":
        raise ValueError(f"the request has no HTTP input binding named {body.binding!r}")
    binding = pb.ParameterBinding()
    binding.CopyFrom(request.input_data[index])
    http = binding.data.http
    if http.HasField("body") or http.HasField("rawBody"):
        raise ValueError(f"the HTTP input {body.binding!r} already has a body")
    shell = pb.InvocationRequest()
    shell.CopyFrom(request)
    del shell.input_data[index]
    # fields may come in any order and repeated ones add up: the binding goes after the rest
    value = _Pieces(_varint(BODY_KINDS[body.kind] << 3 | 2) + _varint(len(content)), content)
    rpc_http = _Pieces(http.SerializeToString()).add(value.wrapped(_BODY))
    if body.raw_too:
        rpc_http.add(value.wrapped(_RAW_BODY))
    binding.ClearField("data")
    bound = _Pieces(binding.SerializeToString()).add(rpc_http.wrapped(_HTTP).wrapped(_BINDING_DATA))
    whole = _Pieces(shell.SerializeToString()).add(bound.wrapped(_INPUT_DATA))
    return PreparedInvocation(request.invocation_id, b"".join(whole.wrapped(_INVOCATION_REQUEST).parts))
