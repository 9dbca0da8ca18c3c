"""A host's gRPC server on grpcio's ``grpc.aio.server`` (C-core's HTTP/2), the same RpcServer
API as the local host's grpclib one: the worker's stream is tested against both implementations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpclib.exceptions import GRPCError

from quickfunc.host.rpc_server import MAX_MESSAGE_LENGTH, RpcServer, serialize_outgoing
from quickfunc.host.wire import PreparedInvocation
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb

_SERVICE = "AzureFunctionsRpcMessages.FunctionRpc"


class GrpcioRpcServer(RpcServer):
    """RpcServer served by grpcio: ``start``, ``stop(grace)``, ``expect``, ``wait_for_worker``."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        options = [
            ("grpc.max_send_message_length", MAX_MESSAGE_LENGTH),
            ("grpc.max_receive_message_length", MAX_MESSAGE_LENGTH),
        ]
        server = grpc.aio.server(options=options)
        handler = grpc.stream_stream_rpc_method_handler(
            self._grpcio_stream,
            request_deserializer=pb.StreamingMessage.FromString,
            response_serializer=serialize_outgoing,
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(_SERVICE, {"EventStream": handler}),))
        bound = server.add_insecure_port(f"{host}:{port}")
        if not bound:
            raise OSError(f"gRPC server could not bind {host}:{port}")
        await server.start()
        self._grpcio, self.host, self.port = server, host, bound
        return bound

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving: grpcio sends GOAWAY, lets open streams run for ``grace`` seconds, then
        cancels them."""
        await self._grpcio.stop(grace)
        for channel in self.channels.values():
            channel.mark_gone("the host's gRPC server stopped")
        for fut in self._expected.values():
            if not fut.done():
                fut.cancel()

    async def _grpcio_stream(
        self, requests: AsyncIterator[pb.StreamingMessage], context: Any
    ) -> AsyncIterator[pb.StreamingMessage | PreparedInvocation | bytes]:
        incoming = requests.__aiter__()
        try:
            first = await self._first_message(incoming)
            worker_id = first.start_stream.worker_id
            fut = self._expected.get(worker_id)
            if fut is None or fut.done():
                self._reject(worker_id, "unknown worker id" if fut is None else "worker id already connected")
        except GRPCError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, exc.message or "")
        assert fut is not None  # _reject raised otherwise
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
