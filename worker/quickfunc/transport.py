"""The one gRPC EventStream to the host: connect, read incoming messages, one outgoing queue.

Knows protobuf and gRPC, nothing about functions.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import cast

import grpc

from .console import SYSTEM_LOGGER
from .protos import EVENT_STREAM_METHOD, pb

_parse = pb.StreamingMessage.FromString
log = logging.getLogger(SYSTEM_LOGGER)

#: the largest message protobuf can hold (2 GiB - 1 byte), whatever limit the host gives
PROTOBUF_LIMIT = 2**31 - 1

#: (message, its size or None if it could not be serialized, the limit, whether the host set the
#: limit) → the message to send instead, or None to send nothing
Oversize = Callable[[pb.StreamingMessage, int | None, int, bool], pb.StreamingMessage | None]


class HostUnreachable(Exception):
    """The host's gRPC server did not become ready in time."""


class StreamBroken(Exception):
    """The stream ended with a gRPC error rather than a clean close."""


class UndecodableMessage(Exception):
    """The host sent bytes that are not a StreamingMessage this worker can parse."""

    def __init__(self, data: bytes, error: Exception) -> None:
        super().__init__(
            f"the host sent a message the worker cannot decode ({len(data)} bytes, starting "
            f"{data[:16].hex(' ') or '-'}): {type(error).__name__}: {error}. It is not a valid "
            f"StreamingMessage: not protobuf at all, a text field that is not UTF-8, or nesting "
            f"deeper than the protobuf parser allows. The worker cannot tell what the host "
            f"asked for"
        )


class Transport:
    """Owns the channel and the stream; `send` may be called from any thread."""

    def __init__(self, target: str, max_message_length: int = -1) -> None:
        self.target = target
        self.max_message_length = max_message_length
        #: what replaces a message over the limit; None: such messages are dropped (and logged)
        self.on_oversize: Oversize | None = None
        by_host = 0 < max_message_length < PROTOBUF_LIMIT
        self._limit = max_message_length if by_host else PROTOBUF_LIMIT
        self._limit_by_host = by_host
        self._channel: grpc.aio.Channel | None = None
        self._call: grpc.aio.StreamStreamCall | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._pending: deque[pb.StreamingMessage | None] = deque()
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self._wake_scheduled = False

    async def connect(self, timeout: float) -> None:
        """Open the channel and the stream, or raise HostUnreachable."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wakeup = asyncio.Event()
        options = [
            ("grpc.max_send_message_length", self.max_message_length),
            # the limit is the host's, for what we send it; whatever it sends us, we read
            ("grpc.max_receive_message_length", -1),
        ]
        self._channel = grpc.aio.insecure_channel(self.target, options=options)
        try:
            await asyncio.wait_for(self._channel.channel_ready(), timeout)
        except asyncio.TimeoutError:
            await self._channel.close()
            raise HostUnreachable(
                f"the host's gRPC server at {self.target} did not answer within {timeout:g} s"
            ) from None
        # incoming messages arrive as bytes and are parsed in read(): gRPC's own deserializer
        # hands back None for a message it cannot parse, which looks like the end of the stream
        method: grpc.aio.StreamStreamMultiCallable = self._channel.stream_stream(
            EVENT_STREAM_METHOD,
            request_serializer=None,  # the writer serializes, checking the size
        )
        self._call = method()
        self._writer = asyncio.ensure_future(self._write_loop())

    def send(self, message: pb.StreamingMessage) -> None:
        """Queue a message for the host; safe from any thread.

        Messages leave in the order of the `send` calls, whatever their thread: a log written by
        a thread the function joins goes out before the function's response.
        """
        if threading.get_ident() == self._loop_thread:
            self._enqueue(message)
        elif self._loop is not None and not self._loop.is_closed():
            self._pending.append(message)  # deque.append is atomic
            # Append first, then look: a wake-up already on its way will see this message too,
            # so threads finishing together cost the loop one wake-up, not one each.
            if not self._wake_scheduled:
                self._wake_scheduled = True
                try:
                    self._loop.call_soon_threadsafe(self._wake_writer)
                except RuntimeError:  # loop closed while we were sending: nowhere to deliver
                    pass

    def _wake_writer(self) -> None:
        self._wake_scheduled = False
        self._wakeup.set()  # type: ignore[union-attr]

    def _enqueue(self, message: pb.StreamingMessage | None) -> None:
        self._pending.append(message)
        if len(self._pending) == 1:
            self._wakeup.set()  # type: ignore[union-attr]

    async def _write_loop(self) -> None:
        """Write queued messages in order; `None` in the queue ends our side of the stream."""
        pending, wakeup, call = self._pending, self._wakeup, self._call
        assert wakeup is not None and call is not None  # made by connect(), which starts this loop
        write = call.write
        while True:
            if not pending:
                wakeup.clear()
                await wakeup.wait()
            while pending:
                message = pending.popleft()
                if message is None:
                    await call.done_writing()
                    return
                data = self._encode(message)
                message = None
                if data is None:
                    continue
                try:
                    await write(data)
                except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
                    return  # the stream is gone; the reader reports why

    def _encode(self, message: pb.StreamingMessage) -> bytes | None:
        """`message` serialized; over the limit, its replacement serialized (None: send nothing).

        gRPC would drop a message over the limit, or end the whole stream, with nobody told.
        """
        try:
            data = message.SerializeToString()
        except Exception:  # protobuf implementations that refuse messages over 2 GiB
            size = None
        else:
            if len(data) <= self._limit:
                return data
            size = len(data)
            del data  # a large message is not kept while its replacement is made
        kind = message.WhichOneof("content")
        replaced = None
        try:
            replacement = (
                self.on_oversize(message, size, self._limit, self._limit_by_host) if self.on_oversize else None
            )
            if replacement is not None:
                replaced = replacement.SerializeToString()
        except Exception:
            log.exception("cannot replace a %s message that is over the size limit", kind)
        if replaced is not None and len(replaced) <= self._limit:
            return replaced
        log.error(
            "a %s message of %s bytes is over the size limit of %d bytes; it was not sent",
            kind,
            size if size is not None else "too many",
            self._limit,
        )
        return None

    async def read(self) -> pb.StreamingMessage | None:
        """The next incoming message; None once the host has closed the stream.

        Raises StreamBroken on a gRPC error, UndecodableMessage for bytes that do not parse.
        A plain coroutine rather than an async generator, so no suspended frame keeps the
        previous (possibly large) message alive.
        """
        assert self._call is not None, "connect() first"
        try:
            received = await self._call.read()
        except grpc.aio.AioRpcError as exc:
            if self._closing and exc.code() == grpc.StatusCode.CANCELLED:
                return None
            raise StreamBroken(f"{exc.code().name}: {exc.details()}") from None
        if received is grpc.aio.EOF:
            return None
        data = cast(bytes, received)  # the stubs type read() as `object`; with no deserializer it is bytes
        try:
            return _parse(data)
        except Exception as exc:  # DecodeError; whatever else a parser may raise means the same
            raise UndecodableMessage(data, exc) from None

    async def close(self, flush_timeout: float = 1.0) -> None:
        """Send what is queued, end our side of the stream, close the channel."""
        if self._closing:
            return
        self._closing = True
        if self._call is not None:
            self._enqueue(None)
            await self._flush(self._call, flush_timeout)
        if self._channel is not None:
            await self._channel.close(grace=None)

    async def _flush(self, call: grpc.aio.StreamStreamCall, timeout: float) -> None:
        """Wait until the writer has written everything and the host has ended the call.

        Closing the channel earlier cancels the RPC, and messages still in gRPC's buffers
        (the last invocation response, say) are lost.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), timeout)
            await asyncio.wait_for(call.code(), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            pass
        except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
            pass  # the stream is already gone: nothing more can be delivered
