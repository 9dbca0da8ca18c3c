"""Write batching on the host's worker connections: writes made in one turn of the event loop
leave as one, in order; a close sends what is gathered first; bursts of invocation requests to a
worker cost one write each, not one per message."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
import uvloop

from quickfunc.host import write_batching
from quickfunc.host.request_builders import build_invocation
from quickfunc.host.write_batching import BatchingTransport
from quickfunc.protos import pb
from tests.helpers import run
from tests.integration.test_channel import scripted


def _on_uvloop(coro: Any) -> Any:
    loop = uvloop.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, 60))
    finally:
        loop.close()


RUNNERS = {"asyncio": run, "uvloop": _on_uvloop}


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_writes_of_one_turn_go_out_as_one_and_in_order():
    async def go() -> None:
        inner = Recorder()
        outer = BatchingTransport(inner)
        for piece in (b"a", b"b", b"", b"c"):
            outer.write(piece)
        assert inner.writes == []  # nothing leaves before the turn ends
        await asyncio.sleep(0)
        assert inner.writes == [b"abc"]
        outer.write(b"d")
        await asyncio.sleep(0)
        outer.write(b"e")
        outer.write(memoryview(b"f"))
        await asyncio.sleep(0)
        assert inner.writes == [b"abc", b"d", b"ef"]

    run(go())


def test_a_close_sends_what_was_gathered_first_and_an_abort_drops_it():
    async def go() -> None:
        inner = Recorder()
        outer = BatchingTransport(inner)
        outer.write(b"last words")
        outer.close()
        assert inner.writes == [b"last words"] and inner.closed
        await asyncio.sleep(0)
        assert inner.writes == [b"last words"]  # the scheduled flush finds nothing more

    run(go())


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_burst_of_invocation_requests_reaches_the_worker_in_few_writes(monkeypatch, loop):
    """Also on uvloop, whose transports are not asyncio.Transport subclasses."""
    flushes: list[int] = []
    real_flush = BatchingTransport._flush

    def counting_flush(self: BatchingTransport) -> None:
        flushes.append(len(self._pending))
        real_flush(self)

    monkeypatch.setattr(write_batching.BatchingTransport, "_flush", counting_flush)

    async def go() -> None:
        async with scripted() as (server, call):
            channel = await server.wait_for_worker("w-1", timeout=10)
            await asyncio.sleep(0.2)  # the connection's own start-up writes are done
            flushes.clear()
            ids = [f"inv-{i}" for i in range(16)]
            pending = [
                asyncio.ensure_future(channel.invoke(build_invocation("f", {}, invocation_id=i), 10)) for i in ids
            ]
            received = [cast(pb.StreamingMessage, await asyncio.wait_for(call.read(), 10)) for _ in ids]
            assert [m.invocation_request.invocation_id for m in received] == ids
            for i in ids:
                await call.write(pb.StreamingMessage(invocation_response=pb.InvocationResponse(invocation_id=i)))
            await asyncio.wait_for(asyncio.gather(*pending), 10)
        # seen: [16, 1, 1] (the requests, then window updates); one write per message before
        assert flushes and flushes[0] >= 8 and len(flushes) <= 6, flushes

    RUNNERS[loop](go())
