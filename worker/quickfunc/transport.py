"""The one gRPC EventStream to the host: connect, read incoming messages, one outgoing queue.

Knows protobuf and gRPC (the call itself is grpc_stream.py), nothing about functions.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable

from .console import SYSTEM_LOGGER
from .grpc_stream import EventStream, StreamBroken, frame
from .protos import pb

__all__ = ["HostUnreachable", "Oversize", "StreamBroken", "Transport", "UndecodableMessage"]

_parse = pb.StreamingMessage.FromString
log = logging.getLogger(SYSTEM_LOGGER)

#: messages queued together are written together up to this many bytes; a larger one alone
BATCH = 64 * 1024
#: the largest message protobuf can hold (2 GiB - 1 byte), whatever limit the host gives
PROTOBUF_LIMIT = 2**31 - 1

#: (message, its size or None if it could not be serialized, the limit, whether the host set the
#: limit) → the message to send instead, or None to send nothing
Oversize = Callable[[pb.StreamingMessage, int | None, int, bool], pb.StreamingMessage | None]


class HostUnreachable(Exception):
    """The host's gRPC server did not become ready in time."""


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
        self._stream: EventStream | None = None
        self._writer: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._pending: deque[pb.StreamingMessage | None] = deque()
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self._wake_scheduled = False

    async def connect(self, timeout: float) -> None:
        """Open the connection and the stream, or raise HostUnreachable."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wakeup = asyncio.Event()
        stream = EventStream(self.target)
        if not await stream.open(timeout):
            raise HostUnreachable(f"the host's gRPC server at {self.target} did not answer within {timeout:g} s")
        # messages go out as bytes serialized (and size-checked) by the writer, and come in as
        # bytes parsed in read(), so that a message that does not parse is named, not skipped
        self._stream = stream
        self._writer = asyncio.ensure_future(self._write_loop(stream))

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

    async def _write_loop(self, stream: EventStream) -> None:
        """Write queued messages in order; `None` in the queue ends our side of the stream.

        Messages queued together leave in one write (up to BATCH bytes): one HTTP/2 frame and
        one system call for a burst of logs and answers instead of one each."""
        pending, wakeup, encode, write = self._pending, self._wakeup, self._encode, stream.write
        assert wakeup is not None  # made by connect(), which starts this loop
        while True:
            if not pending:
                wakeup.clear()
                await wakeup.wait()
            batch: list[bytes] = []
            size = 0
            while pending and size < BATCH:
                message = pending.popleft()
                if message is None:
                    if batch and not await write(b"".join(batch)):
                        return
                    await stream.end()
                    return
                data = encode(message)
                message = None
                if data is None:
                    continue
                if len(data) >= BATCH:  # a large message goes on its own, not copied into a batch
                    batch.append(frame(data))
                    if not await write(b"".join(batch)) or not await write(data):
                        return
                    batch, size = [], 0
                    continue
                batch += (frame(data), data)
                size += len(data) + 5
            if batch and not await write(b"".join(batch)):
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
        assert self._stream is not None, "connect() first"
        data = await self._stream.read()
        if data is None:
            return None
        try:
            return _parse(data)
        except Exception as exc:  # DecodeError; whatever else a parser may raise means the same
            raise UndecodableMessage(data, exc) from None

    async def close(self, flush_timeout: float = 1.0) -> None:
        """Send what is queued, end our side of the stream, close the connection."""
        if self._closing:
            return
        self._closing = True
        stream = self._stream
        if stream is None:
            return
        self._enqueue(None)
        await self._flush(stream, flush_timeout)
        stream.close()

    async def _flush(self, stream: EventStream, timeout: float) -> None:
        """Wait until the writer has written everything and the host has ended the call.

        Closing the connection earlier resets the stream: the host's server may then drop
        messages it has received but not yet handed on (the last invocation response, say).
        """
        assert self._writer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), timeout)
        except asyncio.TimeoutError:
            return
        await stream.wait_ended(max(0.0, deadline - loop.time()))
