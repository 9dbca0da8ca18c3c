"""The one EventStream call over grpclib's HTTP/2 client, messages as bytes: connect (retrying a
refused connection), write length-prefixed messages, read them back, the gRPC status at the end.

grpclib runs HTTP/2 (h2) on the worker's own event loop: no completion-queue or I/O threads to
wake per message, so a message costs the worker about a third of grpcio's CPU (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from grpclib.client import Channel, Stream
from grpclib.config import Configuration
from grpclib.const import Cardinality, Status
from grpclib.encoding.base import CodecBase
from grpclib.exceptions import ProtocolError, StreamTerminatedError
from grpclib.metadata import decode_grpc_message
from grpclib.protocol import Stream as H2Stream
from grpclib.utils import Wrapper
from h2.errors import ErrorCodes
from h2.exceptions import H2Error
from h2.settings import SettingCodes
from hyperframe import frame as _frames
from hyperframe.frame import DataFrame, GoAwayFrame

from .protos import EVENT_STREAM_METHOD

#: the bytes in front of each gRPC message: not compressed, then its length (big-endian)
_PREFIX = struct.Struct(">?I")
#: how much the host may send before the worker has read it, per stream and per connection
#: (grpclib's default)
WINDOW = 4 * 2**20
#: the largest DATA frame the host may send us (HTTP/2's default is 16 KiB): a 16 MiB request
#: comes in 16 frames instead of 1,024, each of which costs h2 the same Python work
MAX_FRAME = 2**20
#: the most bytes of DATA frames made before they are handed to the socket in one write
WRITE_CHUNK = 2**20
#: the first pause between attempts to reach a host that refuses the connection; it doubles
FIRST_RETRY = 0.02
LAST_RETRY = 0.25
#: gRPC status of an HTTP status other than 200 (the gRPC spec's "HTTP to gRPC status code mapping")
_HTTP_STATUS = {
    "400": "INTERNAL",
    "401": "UNAUTHENTICATED",
    "403": "PERMISSION_DENIED",
    "404": "UNIMPLEMENTED",
    "429": "UNAVAILABLE",
    "502": "UNAVAILABLE",
    "503": "UNAVAILABLE",
    "504": "UNAVAILABLE",
}
#: what failed when write() or end() returns False: the stream is gone, the reader reports why
_GONE = (StreamTerminatedError, ProtocolError, H2Error, ConnectionError)


class StreamBroken(Exception):
    """The stream ended with a gRPC error rather than a clean close."""


class _Bytes(CodecBase):
    """Hands messages through as bytes (used only for the request headers' content-type)."""

    __content_subtype__ = "proto"  # sent as "application/grpc", which every gRPC server takes

    def encode(self, message: Any, message_type: Any) -> bytes:
        return bytes(message)

    def decode(self, data: bytes, message_type: Any) -> Any:
        return data


class _Watch(Wrapper):
    """grpclib calls cancel() when the stream is reset or the connection ends: besides waking the
    writer (the tasks inside the wrapper), remember why and end the reader's buffer, so that the
    reader gets every whole message that arrived before it and then the end."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        self.ended = asyncio.Event()
        self.stream: H2Stream | None = None

    def cancel(self, error: Exception) -> None:
        if self.reason is None:
            self.reason = str(error)
        self.ended.set()
        if self.stream is not None:
            self.stream.buffer.eof()
        super().cancel(error)


def split_target(target: str) -> tuple[str, int]:
    """`host:port` or `[v6 address]:port` as the host passes it → (host, port)."""
    host, _, port = target.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def frame(data: bytes) -> bytes:
    """The prefix that goes in front of a serialized message on the stream."""
    return _PREFIX.pack(False, len(data))


class EventStream:
    """The worker's side of FunctionRpc.EventStream: raw messages over one HTTP/2 stream."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._channel: Channel | None = None
        self._call: Stream[bytes, bytes] | None = None
        self._h2: H2Stream | None = None
        self._watch = _Watch()
        self._checked = False
        self.closed = False

    async def open(self, timeout: float) -> bool:
        """Connect (a refused connection is tried again until `timeout`) and send the request
        headers; False if the host's server did not answer in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        host, port = split_target(self.target)
        config = Configuration(http2_connection_window_size=WINDOW, http2_stream_window_size=WINDOW)
        self._channel = channel = Channel(host, port, codec=_Bytes(), config=config)
        delay = FIRST_RETRY
        while True:
            try:
                protocol = await asyncio.wait_for(channel.__connect__(), max(0.0, deadline - loop.time()))
                break
            except (OSError, asyncio.TimeoutError):
                if loop.time() + delay >= deadline:
                    channel.close()
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY)
        _keep_stream_on_graceful_goaway(protocol)
        protocol.processor.connection._connection.update_settings({SettingCodes.MAX_FRAME_SIZE: MAX_FRAME})
        protocol.processor.connection.flush()
        call = channel.request(EVENT_STREAM_METHOD, Cardinality.STREAM_STREAM, bytes, bytes)
        call._wrapper = self._watch  # grpclib hands it to the HTTP/2 stream, which cancels it at the end
        try:
            await call.send_request()
        except _GONE:  # the host closed the connection as soon as it was made
            channel.close()
            return False
        self._call, self._h2 = call, call._stream
        self._watch.stream = call._stream
        return True

    async def write(self, data: bytes) -> bool:
        """Send bytes (prefixed messages); False once the stream is gone."""
        h2 = self._h2
        assert h2 is not None, "open() first"
        try:
            with self._watch:
                await _send_data(h2, data)
        except _GONE:
            return False
        return True

    async def end(self) -> bool:
        """End our side of the stream; False if it was already gone."""
        assert self._call is not None, "open() first"
        try:
            with self._watch:
                await self._call.end()
        except _GONE:
            return False
        return True

    async def read(self) -> bytes | None:
        """The next message's bytes; None once the host ended the stream with status OK (or after
        close()). Raises StreamBroken with the status and details otherwise."""
        h2 = self._h2
        assert h2 is not None, "open() first"
        try:
            head = await self._recv(h2, 5)
            if not head:
                self._outcome()
                return None
            compressed, size = _PREFIX.unpack(head)
            data = await self._recv(h2, size)
        except AssertionError:  # grpclib's buffer ended inside a message
            self._outcome()
            raise StreamBroken(f"INTERNAL: the stream ended inside a message ({self._reason()})") from None
        if not self._checked:
            self._check_headers(h2.headers)
        if compressed:
            raise StreamBroken("INTERNAL: the host sent a compressed message; the worker asked for none")
        return data

    @staticmethod
    async def _recv(h2: H2Stream, size: int) -> bytes:
        """`size` bytes, b"" at the end. grpclib's buffer takes an empty DATA frame for its end
        and raises AssertionError ("less data than expected"): read on while more is queued."""
        while True:
            try:
                return await h2.recv_data(size)
            except AssertionError:
                if h2.buffer._eof and h2.buffer._unacked.empty():
                    raise

    def _check_headers(self, headers: list[tuple[str, str]] | None) -> None:
        fields = dict(headers or ())
        status = fields.get(":status")
        if status != "200":
            raise StreamBroken(
                f"{_HTTP_STATUS.get(status or '', 'UNKNOWN')}: the host's server answered "
                f"HTTP status {status}, not a gRPC response"
            )
        content_type = fields.get("content-type", "")
        if not content_type.startswith("application/grpc"):
            raise StreamBroken(f"UNKNOWN: the host's server answered content-type {content_type!r}, not gRPC")
        self._checked = True

    def _outcome(self) -> None:
        """At the end of the incoming messages: return if the host ended the call with status OK
        (or we closed it), raise StreamBroken otherwise."""
        h2 = self._h2
        assert h2 is not None
        status_fields = h2.trailers
        if status_fields is None and h2.headers is not None and any(k == "grpc-status" for k, _ in h2.headers):
            status_fields = h2.headers  # a "trailers-only" answer: the status came with the headers
        if status_fields is not None:
            if h2.headers is not None and not self._checked:
                self._check_headers(h2.headers)
            fields = dict(status_fields)
            try:
                status = Status(int(fields.get("grpc-status", "")))
            except ValueError:
                raise StreamBroken(f"UNKNOWN: the host sent grpc-status {fields.get('grpc-status')!r}") from None
            if status is Status.OK:
                return None
            raise StreamBroken(f"{status.name}: {decode_grpc_message(fields.get('grpc-message', ''))}")
        if self.closed:
            return None
        if h2.headers is not None and not self._checked:
            self._check_headers(h2.headers)
        raise StreamBroken(self._reason())

    def _reason(self) -> str:
        """Why the stream ended without a status, as `CODE: what happened`."""
        reason = self._watch.reason or "the host ended the stream without a gRPC status"
        if reason.startswith("Stream reset by remote party"):
            code = _error_code(reason)
            status = "CANCELLED" if code == "CANCEL" else "UNAVAILABLE" if code == "REFUSED_STREAM" else "INTERNAL"
            return f"{status}: the host reset the stream (HTTP/2 error {code})"
        if reason.startswith("Received GOAWAY"):
            return f"UNAVAILABLE: the host closed the connection (HTTP/2 GOAWAY, error {_error_code(reason)})"
        if reason == "Connection lost":
            return "UNAVAILABLE: the connection to the host was lost"
        return f"UNAVAILABLE: {reason}"

    async def wait_ended(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until the host has ended the call or the connection is gone."""
        h2 = self._h2
        if h2 is None or h2.trailers is not None or self._watch.ended.is_set():
            return
        waits = [asyncio.ensure_future(h2.trailers_received.wait()), asyncio.ensure_future(self._watch.ended.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    def close(self) -> None:
        """Close the connection (a pending read then returns None)."""
        self.closed = True
        if self._channel is not None:
            self._channel.close()


async def _send_data(stream: H2Stream, data: bytes) -> None:
    """grpclib's Stream.send_data, but with every frame the flow-control window allows (up to
    WRITE_CHUNK bytes) handed to the socket in one write, not one write and one await per
    16 KiB frame, and without copying the data into a BytesIO first."""
    h2, transport, stream_id = stream._h2_connection, stream._transport, stream.id
    assert stream_id is not None  # the request headers opened the stream
    view, sent, size = memoryview(data), 0, len(data)
    while sent < size:
        await stream.connection.write_ready.wait()
        window = h2.local_flow_control_window(stream_id)
        if window <= 0:
            stream.window_updated.clear()
            await stream.window_updated.wait()
            continue
        frame_size, stop = h2.max_outbound_frame_size, min(size, sent + window, sent + WRITE_CHUNK)
        while sent < stop:
            step = min(frame_size, stop - sent)
            h2.send_data(stream_id, view[sent : sent + step])
            sent += step
        transport.write(h2.data_to_send())


def _data_frame_repr(self: _frames.Frame) -> str:
    """DataFrame's repr as hyperframe writes it, from its first bytes only."""
    return _frames._raw_data_repr(getattr(self, "data", b"")[:11])


# h2 formats every frame it receives for its (by default silent) trace log, and hyperframe's
# DataFrame repr copies and hex-encodes the whole payload to show its first 10 bytes: about
# 1.3 ms per MiB received. The same text from the first 11 bytes (only padded frames differ).
if getattr(DataFrame, "_body_repr", None) is _frames.Frame._body_repr and hasattr(_frames, "_raw_data_repr"):
    DataFrame._body_repr = _data_frame_repr  # type: ignore[method-assign]


def _error_code(reason: str) -> str:
    """The HTTP/2 error code's name at the end of grpclib's reason ("...error_code: 8")."""
    code = reason.rpartition(": ")[2].rpartition(".")[2]
    try:
        return ErrorCodes(int(code)).name
    except ValueError:
        return code


def _keep_stream_on_graceful_goaway(protocol: Any) -> None:
    """A GOAWAY with NO_ERROR that lets our stream go on (a server shutting down gracefully, as
    Kestrel and grpcio's server do) leaves the connection open until the host ends the stream.

    h2 treats every GOAWAY as the end of the connection, and grpclib closes it at once, which
    would cut the answers to invocations still running while the host drains. The worker opens
    no other stream, so ignoring the notice is all that graceful close asks of it."""
    table = protocol.processor.connection._connection._frame_dispatch_table
    default = table[GoAwayFrame]

    def on_goaway(goaway: GoAwayFrame) -> Any:
        # our stream is the connection's first (id 1); a GOAWAY before the server saw it says 0
        if goaway.error_code == ErrorCodes.NO_ERROR and goaway.last_stream_id >= 1:
            return [], []
        return default(goaway)

    table[GoAwayFrame] = on_goaway
