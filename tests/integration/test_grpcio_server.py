"""A real worker process against a host server built on grpcio's ``grpc.aio.server`` (C-core's
HTTP/2, not the grpclib server the rest of the suite uses): handshake, load, invocations with a
request and a response over 1 MiB each way (HTTP/2 flow control in both directions), and a
graceful server stop (GOAWAY) that still lets the invocation in flight answer."""

from __future__ import annotations

import asyncio

import pytest

from quickfunc.protos import pb
from tests.helpers import SUCCESS, failure_text, http, run, write_v1_function
from tests.integration.fakehost import FakeHost, start_worker
from tests.integration.grpcio_host import GrpcioRpcServer

ECHO = """
import time

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.params.get("sleep", "0")))
    return func.HttpResponse(req.get_body() * int(req.params.get("repeat", "1")))
"""
#: over 1 MiB, more than an HTTP/2 stream's initial window (64 KiB) and Kestrel's (768 KiB)
BIG = 1_500_000


@pytest.fixture
def app(tmp_path):
    write_v1_function(tmp_path, "Echo", ECHO)
    return tmp_path


def _body(response: pb.InvocationResponse) -> bytes:
    body = response.return_value.http.body
    return body.bytes if body.WhichOneof("data") == "bytes" else body.string.encode()


async def _echo(host: FakeHost, function_id: str, body: bytes, **params: object) -> bytes:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    request = http(
        "POST", f"http://x/api/Echo?{query}", headers={"Content-Type": "application/octet-stream"}, body=body
    )
    response = await host.invoke(function_id, {"req": request}, timeout=30)
    assert response.result.status == SUCCESS, failure_text(response)
    return _body(response)


def test_a_worker_serves_a_grpcio_host_with_messages_over_1_mib_both_ways(app):
    async def go() -> None:
        async with start_worker(str(app), server=GrpcioRpcServer(keep_logs=True)) as host:
            assert host.init_response is not None and host.init_response.result.status == SUCCESS
            ((function_id, loaded),) = (await host.load_v1_app()).values()
            assert loaded.result.status == SUCCESS, failure_text(loaded)
            assert await _echo(host, function_id, b"hello") == b"hello"
            big = bytes(range(256)) * (BIG // 256)
            assert await _echo(host, function_id, big) == big  # over 1 MiB to the worker and back
            assert await _echo(host, function_id, b"ab", repeat=BIG) == b"ab" * BIG  # a 3 MB answer
            answers = await asyncio.gather(*(_echo(host, function_id, b"%d" % i, repeat=i * 100_000) for i in range(6)))
            assert answers == [b"%d" % i * (i * 100_000) for i in range(6)]
            assert host.channel.unexpected == []

    run(go(), 120)


def test_a_graceful_grpcio_stop_lets_the_invocation_in_flight_answer(app):
    """grpcio's server (like Kestrel) starts a graceful stop with GOAWAY(NO_ERROR) and keeps open
    streams going; the worker must not take that notice for the end of its connection."""

    async def go() -> None:
        server = GrpcioRpcServer(keep_logs=True)
        async with start_worker(str(app), server=server) as host:
            ((function_id, _),) = (await host.load_v1_app()).values()
            running = asyncio.ensure_future(_echo(host, function_id, b"late", sleep=1.5))
            await asyncio.sleep(0.5)  # the invocation is running in the worker
            stopping = asyncio.ensure_future(server.stop(grace=20))
            assert await asyncio.wait_for(running, 20) == b"late"
            await host.channel.close(timeout=10)
            assert await host.process.wait(20) == 0  # the host ended the stream: a clean exit
            await stopping

    run(go(), 120)
