"""Invocation requests serialised with the HTTP body joined in: what the worker parses is what
protobuf would have built, and the body is handed over, not kept."""

from __future__ import annotations

import pytest

from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.host.rpc_server import serialize_outgoing
from quickfunc.host.wire import HttpBody, PreparedInvocation, prepare_invocation
from quickfunc.protos import pb


def _request() -> pb.InvocationRequest:
    http = http_request("POST", "http://127.0.0.1:7071/api/up?x=1", {"Content-Type": "a/b"}, params={"id": "7"})
    return build_invocation(
        "fid",
        {"blob": pb.TypedData(string="other input"), "req": http},
        {"Query": pb.TypedData(json='{"x": "1"}')},
        invocation_id="inv-1",
    )


def _expected(request: pb.InvocationRequest, kind: str, content: bytes | str, raw: bool) -> pb.StreamingMessage:
    message = pb.StreamingMessage()
    message.invocation_request.CopyFrom(request)
    http = next(b for b in message.invocation_request.input_data if b.name == "req").data.http
    setattr(http.body, kind, content)
    if raw:
        setattr(http.rawBody, kind, content)
    return message


@pytest.mark.parametrize(
    "kind, content, raw",
    [
        ("bytes", bytearray(b"\x00\xff" * 70000), False),  # lengths of several varint bytes
        ("bytes", b"x", True),
        ("string", "héllo".encode(), True),
        ("json", b'{"a": [1, 2]}', False),
    ],
)
def test_the_worker_parses_what_protobuf_would_have_built(kind, content, raw):
    request = _request()
    body = HttpBody("req", content, kind, raw)
    prepared = prepare_invocation(request, body)
    parsed = pb.StreamingMessage.FromString(prepared.wire)
    value = bytes(content) if kind == "bytes" else bytes(content).decode()
    assert parsed == _expected(request, kind, value, raw)
    assert prepared.invocation_id == "inv-1"
    assert body.content == b""  # handed over: only the wire holds the bytes now
    assert len(request.input_data) == 2  # the caller's request is left as it was


def test_without_a_body_it_is_the_plain_message():
    request = _request()
    for body in (None, HttpBody("req", b"")):
        wire = prepare_invocation(request, body).wire
        assert wire == pb.StreamingMessage(invocation_request=request).SerializeToString()


def test_the_binding_must_be_an_http_input_without_a_body():
    with pytest.raises(ValueError, match="no HTTP input binding named 'nope'"):
        prepare_invocation(_request(), HttpBody("nope", b"x"))
    with pytest.raises(ValueError, match="no HTTP input binding named 'blob'"):
        prepare_invocation(_request(), HttpBody("blob", b"x"))
    request = _request()
    request.input_data[1].data.http.body.bytes = b"already"
    with pytest.raises(ValueError, match="already has a body"):
        prepare_invocation(request, HttpBody("req", b"x"))


def test_the_serializer_hands_prepared_bytes_over_once():
    prepared = PreparedInvocation("i", b"wire bytes")
    assert serialize_outgoing(prepared) == b"wire bytes"
    assert prepared.wire == b""
    message = pb.StreamingMessage(request_id="r")
    assert serialize_outgoing(message) == message.SerializeToString()
    assert serialize_outgoing(b"\xff raw") == b"\xff raw"  # WorkerChannel.send_raw: unchanged
