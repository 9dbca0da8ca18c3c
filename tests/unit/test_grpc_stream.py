"""The EventStream over grpclib's HTTP/2 client, against servers on loopback in this process: a
host that resets the stream right after its trailers (as Kestrel does while the worker's side is
still open), a host that is not listening yet, an IPv6 host, and messages of every size in order."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from grpclib.const import Cardinality, Handler, Status
from grpclib.encoding.base import CodecBase
from grpclib.server import Server, Stream

from quickfunc.host.rpc_server import RpcServer
from quickfunc.protos import EVENT_STREAM_METHOD, pb
from quickfunc.transport import StreamBroken, Transport
from tests.helpers import run


class _Bytes(CodecBase):
    __content_subtype__ = "proto"

    def encode(self, message: Any, message_type: Any) -> bytes:
        return message

    def decode(self, data: bytes, message_type: Any) -> Any:
        return data


def _status(request_id: str) -> bytes:
    message = pb.StreamingMessage(request_id=request_id, worker_status_request=pb.WorkerStatusRequest())
    return message.SerializeToString()


class _ResettingHost:
    """Answers StartStream with two messages, its status, then RST_STREAM(NO_ERROR) at once."""

    def __init__(self, status: Status, message: str | None = None) -> None:
        self.status, self.message = status, message

    def __mapping__(self) -> dict[str, Handler]:
        return {EVENT_STREAM_METHOD: Handler(self._handle, Cardinality.STREAM_STREAM, bytes, bytes)}

    async def _handle(self, stream: Stream) -> None:
        await stream.recv_message()
        await stream.send_message(_status("one"))
        await stream.send_message(_status("two"))
        await stream.send_trailing_metadata(status=self.status, status_message=self.message)
        await stream.cancel()  # the worker has not ended its side: tell it to stop sending


async def _serve(handler: Any) -> tuple[Server, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = Server([handler], codec=_Bytes())
    await server.start(sock=sock)
    return server, sock.getsockname()[1]


async def _read_all(status: Status, message: str | None = None) -> list:
    server, port = await _serve(_ResettingHost(status, message))
    transport = Transport(f"127.0.0.1:{port}")
    try:
        await transport.connect(10)
        transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id="w")))
        await asyncio.sleep(0.3)  # everything, the reset too, has arrived before the first read
        seen: list = []
        for _ in range(3):
            try:
                received = await asyncio.wait_for(transport.read(), 10)
            except StreamBroken as exc:
                return [*seen, str(exc)]
            seen.append(received.request_id if received is not None else None)
        return seen
    finally:
        await transport.close(1)
        server.close()
        await server.wait_closed()


def test_a_reset_right_after_the_hosts_ok_status_still_delivers_every_message_then_the_end():
    assert run(_read_all(Status.OK), 30) == ["one", "two", None]


def test_a_reset_right_after_an_error_status_delivers_the_messages_then_the_status():
    seen = run(_read_all(Status.FAILED_PRECONDITION, "no such worker"), 30)
    assert seen == ["one", "two", "FAILED_PRECONDITION: no such worker"]


def test_connect_waits_for_a_host_that_starts_listening_a_moment_later():
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def go() -> str:
        server = RpcServer()
        server.expect("late")
        transport = Transport(f"127.0.0.1:{port}")
        connecting = asyncio.ensure_future(transport.connect(10))
        await asyncio.sleep(0.4)
        assert not connecting.done()  # refused so far, and tried again
        await server.start("127.0.0.1", port)
        try:
            await asyncio.wait_for(connecting, 10)
            transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id="late")))
            channel = await server.wait_for_worker("late", 10)
            return channel.worker_id
        finally:
            await transport.close(1)
            await server.stop(0)

    assert run(go(), 30) == "late"


def test_an_ipv6_host_in_brackets_is_reached():
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.fail("this machine has no IPv6 loopback")

    async def go() -> str:
        server = RpcServer()
        port = await server.start("::1", 0)
        server.expect("v6")
        transport = Transport(f"[::1]:{port}")
        try:
            await transport.connect(10)
            transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id="v6")))
            channel = await server.wait_for_worker("v6", 10)
            await channel.send(pb.StreamingMessage(request_id="r6", worker_status_request=pb.WorkerStatusRequest()))
            message = await asyncio.wait_for(transport.read(), 10)
            assert message is not None
            return message.request_id
        finally:
            await transport.close(1)
            await server.stop(0)

    assert run(go(), 30) == "r6"


def test_messages_of_every_size_arrive_whole_and_in_order():
    sizes = [10, 70_000, 5, 5, 300_000, 1, 65_000, 2_000_000, 7] * 3

    async def go() -> list[int]:
        server = RpcServer(keep_logs=True)
        port = await server.start("127.0.0.1", 0)
        server.expect("sizes")
        transport = Transport(f"127.0.0.1:{port}")
        try:
            await transport.connect(10)
            transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id="sizes")))
            channel = await server.wait_for_worker("sizes", 10)
            for size in sizes:
                transport.send(pb.StreamingMessage(rpc_log=pb.RpcLog(message="x" * size)))
            await transport.close(10)
            await channel.wait_closed(10)
            return [len(log.message) for log in channel.logs]
        finally:
            await server.stop(0)

    assert run(go(), 60) == sizes
