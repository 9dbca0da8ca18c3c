"""Shared helpers for the end-to-end tests: a worker subprocess + fake host kept for a module.

``LiveWorker`` runs the fake host's event loop in a background thread, so one worker process
(started, initialised and with its v1 app loaded once) serves every test of a module; each test
drives it with ``worker.run(coroutine)``, which is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Mapping
from typing import Any

import pytest

from quickfunc.host.process import WorkerCommand
from quickfunc.protos import pb
from tests.driver import FunctionCalls, closing_factory
from tests.integration.fakehost import FakeHost, start_worker


class LimitedCommand(WorkerCommand):
    """Launch the worker as the host does, but with a small max message length on the command line."""

    def __init__(self, max_message_length: int) -> None:
        super().__init__()
        self.max_message_length = max_message_length

    def build_argv(self, host: str, port: int, worker_id: str, request_id: str, max_len: int = 0) -> list[str]:
        return super().build_argv(host, port, worker_id, request_id, self.max_message_length)


class LiveWorker(FunctionCalls):
    """One worker process + fake host on a background loop, shared by the tests of a module."""

    def __init__(
        self,
        app_dir: str,
        env: Mapping[str, str] | None = None,
        command: WorkerCommand | None = None,
        load: bool = True,
        start_timeout: float = 60.0,
    ) -> None:
        self.app_dir = app_dir
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-host-loop", daemon=True)
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


@pytest.fixture(scope="module")
def live_worker_factory():
    """Start LiveWorkers for a module; all are closed when the module's tests are done."""
    yield from closing_factory(LiveWorker)
