"""Shared helpers for the end-to-end tests: a worker subprocess + fake host kept for a module.

``LiveWorker`` runs the fake host's event loop in a background thread, so one worker process
(started, initialised and with its v1 app loaded once) serves every test of a module; each test
drives it with ``worker.run(coroutine)``, which is bounded by a timeout.
"""
from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Awaitable, Callable, Mapping

import pytest

from tests.integration.fakehost import FakeHost, start_worker
from quickfunc.host.process import WorkerCommand
from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.protos import pb

APPS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps")

SUCCESS = pb.StatusResult.Success
FAILURE = pb.StatusResult.Failure
CANCELLED = pb.StatusResult.Cancelled
USER = pb.RpcLog.RpcLogCategory.Value("User")
SYSTEM = pb.RpcLog.RpcLogCategory.Value("System")
LEVEL = pb.RpcLog.Level.Value  # LEVEL("Information") etc.


def app_path(name: str) -> str:
    return os.path.join(APPS_DIR, name)


def run(coro: Awaitable[Any], timeout: float = 30.0) -> Any:
    """Run one test coroutine in a fresh loop with a hard bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


class LimitedCommand(WorkerCommand):
    """Launch the worker as the host does, but with a small max message length on the command line."""

    def __init__(self, max_message_length: int) -> None:
        super().__init__()
        self.max_message_length = max_message_length

    def build_argv(self, host: str, port: int, worker_id: str, request_id: str,
                   max_len: int = 0) -> list[str]:
        return super().build_argv(host, port, worker_id, request_id, self.max_message_length)


class LiveWorker:
    """One worker process + fake host on a background loop, shared by the tests of a module."""

    def __init__(self, app_dir: str, env: Mapping[str, str] | None = None,
                 command: WorkerCommand | None = None, load: bool = True,
                 start_timeout: float = 60.0) -> None:
        self.app_dir = app_dir
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-host-loop",
                                        daemon=True)
        self._thread.start()
        self._cm = start_worker(app_dir, env=env, command=command)
        try:
            self.host: FakeHost = self.run(self._cm.__aenter__(), start_timeout)
        except BaseException:
            self._stop_loop()
            raise
        self.loads: dict[str, tuple[str, pb.FunctionLoadResponse]] = {}
        if load:
            try:
                self.loads = self.run(self.host.load_v1_app(), start_timeout)
            except BaseException:
                self.close()
                raise

    # ---- driving ----------------------------------------------------------------------------

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the host loop and return its result (bounded)."""
        fut = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        return fut.result(timeout + 5)

    @property
    def channel(self):
        return self.host.channel

    def function_id(self, name: str) -> str:
        function_id, response = self.loads[name]
        assert response.result.status == SUCCESS, (
            f"{name} did not load: {response.result.exception.message}")
        return function_id

    def invoke(self, name: str, inputs: Mapping[str, pb.TypedData] | None = None,
               trigger_metadata: Mapping[str, pb.TypedData] | None = None,
               timeout: float = 20.0, **kw: Any) -> pb.InvocationResponse:
        request = build_invocation(self.function_id(name), inputs, trigger_metadata, **kw)
        return self.run(self.channel.invoke(request, timeout=timeout), timeout + 5)

    def invoke_request(self, request: pb.InvocationRequest,
                       timeout: float = 20.0) -> pb.InvocationResponse:
        return self.run(self.channel.invoke(request, timeout=timeout), timeout + 5)

    def logs_for(self, invocation_id: str) -> list[pb.RpcLog]:
        return self.run(_copy_logs(self.channel, invocation_id))

    def wait_for_logs(self, predicate: Callable[[list[pb.RpcLog]], bool],
                      invocation_id: str | None = None, timeout: float = 5.0) -> list[pb.RpcLog]:
        """Poll the collected logs until ``predicate(logs)`` holds; return them either way."""
        return self.run(wait_logs(self.channel, predicate, invocation_id, timeout), timeout + 5)

    def close(self) -> None:
        try:
            self.run(self._cm.__aexit__(None, None, None), 30.0)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self.loop.close()


async def _copy_logs(channel, invocation_id: str) -> list[pb.RpcLog]:
    return list(channel.logs_for(invocation_id))


async def wait_logs(channel, predicate: Callable[[list[pb.RpcLog]], bool],
                    invocation_id: str | None = None, timeout: float = 5.0) -> list[pb.RpcLog]:
    """Poll the channel's logs (all, or one invocation's) until ``predicate`` holds or time is up."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        logs = list(channel.logs if invocation_id is None else channel.logs_for(invocation_id))
        if predicate(logs) or asyncio.get_running_loop().time() >= deadline:
            return logs
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def live_worker_factory():
    """Start LiveWorkers for a module; all are closed when the module's tests are done."""
    started: list[LiveWorker] = []

    def start(app_dir: str, **kw: Any) -> LiveWorker:
        worker = LiveWorker(app_dir, **kw)
        started.append(worker)
        return worker

    yield start
    for worker in reversed(started):
        worker.close()


# ---- building inputs --------------------------------------------------------------------------


def http(method: str = "GET", url: str = "http://localhost/api/f", **kw: Any) -> pb.TypedData:
    return http_request(method, url, **kw)


def string(value: str) -> pb.TypedData:
    return pb.TypedData(string=value)


def json_data(text: str) -> pb.TypedData:
    return pb.TypedData(json=text)


def failure_text(response) -> str:
    exc = response.result.exception
    return f"{exc.message}\n{exc.stack_trace}"


def outputs(response: pb.InvocationResponse) -> dict[str, pb.TypedData]:
    return {p.name: p.data for p in response.output_data}

