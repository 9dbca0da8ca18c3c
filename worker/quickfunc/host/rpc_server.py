"""The host's gRPC server: accepts each worker's EventStream and hands it over as a WorkerChannel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import grpc

from quickfunc.host.wire import PreparedInvocation
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb

__all__ = ["MAX_MESSAGE_LENGTH", "RpcServer", "serialize_outgoing"]

_log = logging.getLogger(__name__)

#: what the real host allows and passes on the command line (int.MaxValue)
MAX_MESSAGE_LENGTH = 2147483647
_SERVICE = "AzureFunctionsRpcMessages.FunctionRpc"


def serialize_outgoing(msg: pb.StreamingMessage | PreparedInvocation | bytes) -> bytes:
    """A message's wire form: a prepared invocation's bytes are handed over (so only gRPC holds
    them once sent); bytes queued by ``WorkerChannel.send_raw`` go out as they are."""
    if isinstance(msg, PreparedInvocation):
        return msg.take()
    return msg if isinstance(msg, bytes) else msg.SerializeToString()


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
        self._server: grpc.aio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0, max_message_length: int = MAX_MESSAGE_LENGTH) -> int:
        """Bind and start serving; return the bound port."""
        options = [
            ("grpc.max_send_message_length", max_message_length),
            ("grpc.max_receive_message_length", max_message_length),
        ]
        server = grpc.aio.server(options=options)
        handler = grpc.stream_stream_rpc_method_handler(
            self._event_stream,
            request_deserializer=pb.StreamingMessage.FromString,
            response_serializer=serialize_outgoing,
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(_SERVICE, {"EventStream": handler}),))
        bound = server.add_insecure_port(f"{host}:{port}")
        if not bound:
            raise OSError(f"gRPC server could not bind {host}:{port}")
        await server.start()
        self._server, self.host, self.port = server, host, bound
        return bound

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving (active streams end after ``grace`` seconds) and fail every wait."""
        if self._server is not None:
            await self._server.stop(grace)
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

    async def _event_stream(
        self, requests: AsyncIterator[pb.StreamingMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamingMessage | PreparedInvocation | bytes]:
        incoming = requests.__aiter__()
        first = await self._first_message(incoming, context)
        worker_id = first.start_stream.worker_id
        fut = self._expected.get(worker_id)
        if fut is None or fut.done():
            problem = "unknown worker id" if fut is None else "worker id already connected"
            await self._reject(context, worker_id, problem)
        channel = WorkerChannel(worker_id, first.request_id, on_log=self.on_log, keep_logs=self.keep_logs)
        self.channels[worker_id] = channel
        channel.attach(incoming)
        fut.set_result(channel)
        try:
            async for msg in channel.outgoing():
                yield msg
            channel.mark_gone("the host closed the stream")
        finally:
            channel.mark_gone("the stream was cancelled (worker disconnected or server stopped)")

    async def _first_message(
        self, incoming: AsyncIterator[pb.StreamingMessage], context: grpc.aio.ServicerContext
    ) -> pb.StreamingMessage:
        try:
            first = await asyncio.wait_for(incoming.__anext__(), self.first_message_timeout)
        except StopAsyncIteration:
            await self._reject(context, "", "stream ended before StartStream")
        except asyncio.TimeoutError:
            await self._reject(context, "", "no StartStream in time")
        if first.WhichOneof("content") != "start_stream":
            await self._reject(context, "", f"first message was {first.WhichOneof('content')}, not start_stream")
        return first

    async def _reject(self, context: grpc.aio.ServicerContext, worker_id: str, problem: str) -> NoReturn:
        self.rejected.append((worker_id, problem))
        _log.warning("rejected EventStream (worker id %r): %s", worker_id, problem)
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, problem)
        raise AssertionError("context.abort returned")  # abort always raises
