"""The host's gRPC server: accepts each worker's EventStream and hands it over as a WorkerChannel.

Served by grpclib (HTTP/2 in Python on the host's own event loop): a message costs the host about
half the CPU of grpcio's server, whose completion-queue and I/O threads wake the loop and each
other several times per message (measured in docs/performance.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn, cast

from grpclib.const import Cardinality, Handler, Status
from grpclib.encoding.base import CodecBase
from grpclib.exceptions import GRPCError, StreamTerminatedError
from grpclib.protocol import H2Protocol
from grpclib.server import Server, Stream

from quickfunc.host.h2_tuning import take_large_frames
from quickfunc.host.wire import PreparedInvocation
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.host.write_batching import BatchingTransport
from quickfunc.protos import pb

__all__ = ["MAX_MESSAGE_LENGTH", "RpcServer", "serialize_outgoing"]

_log = logging.getLogger(__name__)

#: what the real host allows and passes on the command line (int.MaxValue); this server takes
#: messages of any size, as the real host does with that limit
MAX_MESSAGE_LENGTH = 2147483647
_METHOD = "/AzureFunctionsRpcMessages.FunctionRpc/EventStream"
#: the longest a stop waits for the worker connections to close once their streams are ended
_CLOSE_TIMEOUT = 5.0


def serialize_outgoing(msg: pb.StreamingMessage | PreparedInvocation | bytes) -> bytes:
    """A message's wire form: a prepared invocation's bytes are handed over (so only gRPC holds
    them once sent); bytes queued by ``WorkerChannel.send_raw`` go out as they are."""
    if isinstance(msg, PreparedInvocation):
        return msg.take()
    return msg if isinstance(msg, bytes) else msg.SerializeToString()


class _Codec(CodecBase):
    """StreamingMessage in, StreamingMessage (or bytes already serialised) out."""

    __content_subtype__ = "proto"

    def encode(self, message: Any, message_type: Any) -> bytes:
        return serialize_outgoing(message)

    def decode(self, data: bytes, message_type: Any) -> Any:
        return pb.StreamingMessage.FromString(data)


class _Server(Server):
    """grpclib's server with each connection's writes batched per turn of the loop, taking large
    DATA frames (h2_tuning.py)."""

    def _protocol_factory(self) -> H2Protocol:
        protocol = super()._protocol_factory()
        made = protocol.connection_made

        def connection_made(transport: asyncio.BaseTransport) -> None:
            # uvloop's transports are not asyncio.Transport subclasses: no isinstance check
            made(BatchingTransport(cast(asyncio.Transport, transport)))
            take_large_frames(protocol)

        protocol.connection_made = connection_made  # type: ignore[method-assign]
        return protocol


class RpcServer:
    """The host's gRPC server: accepts EventStreams and binds each to an expected worker id."""

    def __init__(
        self,
        on_log: Callable[[pb.RpcLog], Any] | None = None,
        first_message_timeout: float = 60.0,
        keep_logs: bool = False,
    ) -> None:
        self.on_log = on_log
        #: passed to every WorkerChannel (the local host keeps none; test hosts keep them)
        self.keep_logs = keep_logs
        self.first_message_timeout = first_message_timeout
        self.host = ""
        self.port = 0
        self.channels: dict[str, WorkerChannel] = {}
        #: (worker_id, reason) for every stream turned away
        self.rejected: list[tuple[str, str]] = []
        self._expected: dict[str, asyncio.Future[WorkerChannel]] = {}
        self._server: Server | None = None

    def __mapping__(self) -> dict[str, Handler]:
        """The one method served (grpclib's handler protocol)."""
        return {_METHOD: Handler(self._event_stream, Cardinality.STREAM_STREAM, pb.StreamingMessage, None)}

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Bind and start serving; return the bound port."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise OSError(f"gRPC server could not bind {host}:{port}: {exc.strerror or exc}") from None
        server = _Server([self], codec=_Codec())
        await server.start(sock=sock)
        self._server, self.host, self.port = server, host, sock.getsockname()[1]
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving: streams still open after ``grace`` seconds are reset (each worker hears
        at once), and every wait fails."""
        if self._server is not None:
            if grace:
                still_open = [c for c in self.channels.values() if not c.closed.is_set()]
                waits = [asyncio.ensure_future(c.closed.wait()) for c in still_open]
                if waits:
                    await asyncio.wait(waits, timeout=grace)
                    for waiter in waits:
                        waiter.cancel()
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), _CLOSE_TIMEOUT)
        for channel in self.channels.values():
            channel.mark_gone("the host's gRPC server stopped")
        for fut in self._expected.values():
            if not fut.done():
                fut.cancel()

    def expect(self, worker_id: str) -> asyncio.Future[WorkerChannel]:
        """Register a worker id before launching its process; its StartStream will be accepted."""
        fut = self._expected.get(worker_id)
        if fut is None:
            fut = self._expected[worker_id] = asyncio.get_running_loop().create_future()
        return fut

    async def wait_for_worker(self, worker_id: str, timeout: float | None = 60.0) -> WorkerChannel:
        """Wait until the worker opened its stream with StartStream{worker_id}."""
        fut = self.expect(worker_id)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(
                f"worker {worker_id} did not open its EventStream with StartStream within {timeout}s"
            ) from None

    async def _event_stream(self, stream: Stream) -> None:
        incoming: AsyncIterator[pb.StreamingMessage] = stream.__aiter__()
        first = await self._first_message(incoming)
        worker_id = first.start_stream.worker_id
        fut = self._expected.get(worker_id)
        if fut is None or fut.done():
            self._reject(worker_id, "unknown worker id" if fut is None else "worker id already connected")
        channel = WorkerChannel(worker_id, first.request_id, on_log=self.on_log, keep_logs=self.keep_logs)
        self.channels[worker_id] = channel
        channel.attach(incoming)
        fut.set_result(channel)
        try:
            await stream.send_initial_metadata()
            send = stream.send_message
            async for msg in channel.outgoing():
                await send(msg)
            channel.mark_gone("the host closed the stream")
        except asyncio.CancelledError:  # the server is stopping: reset the stream so the worker hears
            with contextlib.suppress(Exception):
                await stream.cancel()
            raise
        except (StreamTerminatedError, ConnectionError) as exc:  # the worker went away mid-write
            channel.mark_gone(f"the stream broke ({exc})")
        finally:
            channel.mark_gone("the stream was cancelled (worker disconnected or server stopped)")

    async def _first_message(self, incoming: AsyncIterator[pb.StreamingMessage]) -> pb.StreamingMessage:
        try:
            first = await asyncio.wait_for(incoming.__anext__(), self.first_message_timeout)
        except StopAsyncIteration:
            self._reject("", "stream ended before StartStream")
        except asyncio.TimeoutError:
            self._reject("", "no StartStream in time")
        if first.WhichOneof("content") != "start_stream":
            self._reject("", f"first message was {first.WhichOneof('content')}, not start_stream")
        return first

    def _reject(self, worker_id: str, problem: str) -> NoReturn:
        """End the stream with FAILED_PRECONDITION (grpclib sends the status as the trailers)."""
        self.rejected.append((worker_id, problem))
        _log.warning("rejected EventStream (worker id %r): %s", worker_id, problem)
        raise GRPCError(Status.FAILED_PRECONDITION, problem)
