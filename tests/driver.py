"""What the fake host's LiveWorker (a worker process) and the in-process WorkerHarness share: the
requests tests make by function name, the logs they wait for, and a fixture's bookkeeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import SUCCESS

T = TypeVar("T")


async def wait_logs(
    channel: Any, predicate: Callable[[list[pb.RpcLog]], bool], invocation_id: str | None = None, timeout: float = 5.0
) -> list[pb.RpcLog]:
    """Poll the channel's logs (all, or one invocation's) until ``predicate`` holds or time is
    up; the logs either way."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        logs = list(channel.logs if invocation_id is None else channel.logs_for(invocation_id))
        if predicate(logs) or asyncio.get_running_loop().time() >= deadline:
            return logs
        await asyncio.sleep(0.02)


def _started(logs: list[pb.RpcLog]) -> bool:
    return any(log.message.startswith("started") for log in logs)


async def wait_started(channel: Any, invocation_id: str, timeout: float = 10.0) -> None:
    """Wait until the function logged that it runs (`started ...`), so it is in flight."""
    logs = await wait_logs(channel, _started, invocation_id, timeout)
    assert _started(logs), "the invocation never started"


async def _copy_logs(channel: Any, invocation_id: str) -> list[pb.RpcLog]:
    return list(channel.logs_for(invocation_id))


class FunctionCalls:
    """Requests by function name over `self.channel`, each run with `self.run(coro, timeout)` on
    the loop the channel belongs to; `self.loads` is {name: (function_id, load response)}."""

    channel: Any
    loads: dict[str, tuple[str, pb.FunctionLoadResponse]]
    #: how long an invocation may take unless a test says otherwise (seconds)
    answer_timeout = 20.0

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        raise NotImplementedError

    def function_id(self, name: str) -> str:
        function_id, response = self.loads[name]
        assert response.result.status == SUCCESS, f"{name} did not load: {response.result.exception.message}"
        return function_id

    def invoke(
        self,
        name: str,
        inputs: Mapping[str, pb.TypedData] | None = None,
        trigger_metadata: Mapping[str, pb.TypedData] | None = None,
        timeout: float | None = None,
        **kw: Any,
    ) -> pb.InvocationResponse:
        request = build_invocation(self.function_id(name), inputs, trigger_metadata, **kw)
        return self.invoke_request(request, timeout)

    def invoke_request(self, request: pb.InvocationRequest, timeout: float | None = None) -> pb.InvocationResponse:
        timeout = self.answer_timeout if timeout is None else timeout
        return self.run(self.channel.invoke(request, timeout=timeout), timeout + 5)

    def logs_for(self, invocation_id: str) -> list[pb.RpcLog]:
        """The logs of one invocation so far."""
        return self.run(_copy_logs(self.channel, invocation_id))

    def wait_for_logs(
        self, predicate: Callable[[list[pb.RpcLog]], bool], invocation_id: str | None = None, timeout: float = 5.0
    ) -> list[pb.RpcLog]:
        """Poll the collected logs until ``predicate(logs)`` holds; return them either way."""
        return self.run(wait_logs(self.channel, predicate, invocation_id, timeout), timeout + 5)


def closing_factory(make: Callable[..., T]) -> Iterator[Callable[..., T]]:
    """For a fixture: yield a function that makes (and remembers) objects with `make`; close
    them all, the last made first, when the fixture ends."""
    made: list[Any] = []

    def start(*args: Any, **kw: Any) -> T:
        item = make(*args, **kw)
        made.append(item)
        return item

    yield start
    for item in reversed(made):
        item.close()
