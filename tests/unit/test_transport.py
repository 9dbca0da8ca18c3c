"""The worker's gRPC stream, against the host's real server on a loopback port in this process:
messages leave in the order they were sent (from any thread), what the host sends is read and
parsed, a message over the limit is replaced, and closing flushes what is queued."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator

import pytest

from quickfunc import replies
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb
from quickfunc.transport import HostUnreachable, StreamBroken, Transport, UndecodableMessage
from tests.helpers import FAILURE, run

WORKER_ID = "transport-test"


def _log(text: str) -> pb.StreamingMessage:
    return pb.StreamingMessage(rpc_log=pb.RpcLog(message=text, category="test"))


@contextlib.asynccontextmanager
async def _connected(
    max_message_length: int = -1,
) -> AsyncIterator[tuple[Transport, WorkerChannel]]:
    """A Transport connected to an RpcServer on 127.0.0.1, StartStream sent and accepted."""
    server = RpcServer(keep_logs=True)
    port = await server.start("127.0.0.1", 0)
    server.expect(WORKER_ID)
    transport = Transport(f"127.0.0.1:{port}", max_message_length)
    try:
        await transport.connect(10)
        transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id=WORKER_ID)))
        channel = await server.wait_for_worker(WORKER_ID, 10)
        yield transport, channel
    finally:
        await transport.close(2)
        await server.stop(0)


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_messages_from_the_loop_and_from_a_thread_arrive_whole_and_in_send_order():
    async def go() -> list[str]:
        async with _connected() as (transport, channel):

            def from_thread() -> None:
                for i in range(200):
                    transport.send(_log(f"thread {i}"))

            thread = threading.Thread(target=from_thread)
            thread.start()
            for i in range(200):
                transport.send(_log(f"loop {i}"))
                if i % 20 == 0:
                    await asyncio.sleep(0)
            await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
            await _until(lambda: len(channel.logs) == 400)
            return [log.message for log in channel.logs]

    messages = run(go(), 30)
    for source in ("thread", "loop"):
        in_order = [f"{source} {i}" for i in range(200)]
        assert [m for m in messages if m.startswith(source)] == in_order


def test_what_the_host_sends_is_read_parsed_and_the_hosts_close_reads_as_none():
    async def go() -> list:
        async with _connected() as (transport, channel):
            await channel.send(pb.StreamingMessage(request_id="r1", worker_status_request=pb.WorkerStatusRequest()))
            first = await asyncio.wait_for(transport.read(), 10)
            await channel.close(timeout=5)
            end = await asyncio.wait_for(transport.read(), 10)
            return [first, end]

    first, end = run(go(), 30)
    assert first.request_id == "r1" and first.WhichOneof("content") == "worker_status_request"
    assert end is None


def test_a_stream_the_host_breaks_off_raises_stream_broken():
    async def go() -> str:
        server = RpcServer()
        port = await server.start("127.0.0.1", 0)
        server.expect(WORKER_ID)
        transport = Transport(f"127.0.0.1:{port}")
        try:
            await transport.connect(10)
            transport.send(pb.StreamingMessage(start_stream=pb.StartStream(worker_id=WORKER_ID)))
            await server.wait_for_worker(WORKER_ID, 10)
            await server.stop(0)
            with pytest.raises(StreamBroken) as caught:
                await asyncio.wait_for(transport.read(), 10)
            return str(caught.value)
        finally:
            await transport.close(1)

    assert run(go(), 30).startswith(("UNAVAILABLE:", "CANCELLED:", "INTERNAL:"))  # the gRPC status


def test_bytes_that_are_no_streaming_message_raise_undecodable_with_their_start():
    async def go() -> str:
        async with _connected() as (transport, channel):
            await channel.send_raw(b"\xff\xff\xff\xff")
            with pytest.raises(UndecodableMessage) as caught:
                await asyncio.wait_for(transport.read(), 10)
            return str(caught.value)

    text = run(go(), 30)
    assert "4 bytes, starting ff ff ff ff" in text and "cannot decode" in text


def test_a_reply_over_the_hosts_limit_arrives_as_a_failure_of_its_kind_with_its_ids():
    async def go() -> list:
        async with _connected(max_message_length=4096) as (transport, channel):
            transport.on_oversize = replies.oversize
            big = pb.StreamingMessage(
                invocation_response=pb.InvocationResponse(
                    invocation_id="inv-big", return_value=pb.TypedData(string="x" * 10_000)
                )
            )
            transport.send(big)
            transport.send(_log("after"))
            await _until(lambda: channel.unexpected and channel.logs)
            return [channel.unexpected[0], channel.logs[0]]

    replaced, after = run(go(), 30)
    response = replaced.invocation_response
    assert response.invocation_id == "inv-big" and response.result.status == FAILURE
    message = response.result.exception.message
    assert "the host's message size limit of 4 KiB (4096 bytes)" in message
    assert after.message == "after"  # the stream goes on


def test_a_message_over_the_limit_with_no_replacement_is_dropped_and_the_stream_goes_on():
    async def go() -> list[str]:
        async with _connected(max_message_length=4096) as (transport, channel):
            transport.send(_log("y" * 10_000))
            transport.send(_log("small"))
            await _until(lambda: channel.logs)
            await asyncio.sleep(0.05)
            return [log.message for log in channel.logs]

    assert run(go(), 30) == ["small"]


def test_close_sends_everything_queued_before_the_stream_ends():
    async def go() -> int:
        async with _connected() as (transport, channel):
            for i in range(300):
                transport.send(_log(f"last words {i}"))
            await transport.close(5)
            await channel.wait_closed(10)
            return len(channel.logs)

    assert run(go(), 30) == 300


def test_no_host_listening_is_reported_as_unreachable_naming_the_address():
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def go() -> str:
        transport = Transport(f"127.0.0.1:{port}")
        with pytest.raises(HostUnreachable) as caught:
            await transport.connect(0.5)
        return str(caught.value)

    assert f"127.0.0.1:{port}" in run(go(), 30)
