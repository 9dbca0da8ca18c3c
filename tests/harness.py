"""A worker in the test process: its real Dispatcher, WorkerState, handlers and RpcLog handler,
talked to by the host's real WorkerChannel over an in-memory stream (no gRPC, no subprocess).

Every message crosses the stream serialized, as on the wire. The loop runs in the test's thread,
only inside `run()` (and the helpers that call it), so tests can look at `state` in between.
The API mirrors the fake host's (`tests/integration/conftest.py` LiveWorker): `init`, `load_v1_app`,
`invoke(name, inputs)`, `logs_for`, ...; `send(message)` and `next_reply(kind)` speak raw messages.
Harnesses open at the same time share this process: its environment, cwd, sys.path and root
logger; each puts back what it changed when it closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from quickfunc import app_index, logs, shutdown
from quickfunc.console import SYSTEM_LOGGER
from quickfunc.dispatcher import Dispatcher, Handler
from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.request_builders import indexed_load_metadata
from quickfunc.host.rpc_server import serialize_outgoing
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb
from quickfunc.settings import Settings
from quickfunc.state import WorkerState
from tests.driver import FunctionCalls
from tests.helpers import SUCCESS

#: how long a helper waits for an answer unless told otherwise (seconds)
TIMEOUT = 10.0
_END = None  # in the worker's outgoing queue: the worker ended its side of the stream
LoadResponse = pb.FunctionLoadResponse


class _ProcessState:
    """What a worker changes in its process (environment, cwd, sys.path, modules, log levels),
    taken when the harness opens and put back when it closes."""

    def __init__(self) -> None:
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.sys_path = list(sys.path)
        self.modules = dict(sys.modules)
        self.app_package_path = list(getattr(sys.modules.get("__app__"), "__path__", []))
        self.levels = logging.getLogger().level, logging.getLogger(SYSTEM_LOGGER).level

    def restore(self, app_dirs: set[str]) -> None:
        os.environ.clear()
        os.environ.update(self.environ)
        os.chdir(self.cwd)
        sys.path[:] = self.sys_path
        roots = tuple(os.path.join(os.path.realpath(d), "") for d in app_dirs)

        def of_an_app(name: str, module: Any) -> bool:
            file = getattr(module, "__file__", None) or ""
            return (
                name == "__app__"
                or name.startswith("__app__.")
                or bool(file and os.path.realpath(file).startswith(roots))
            )

        # the apps' modules go, so the next app is imported afresh; those an enclosing harness's
        # app had (a v2 app's `function_app`, say) come back
        for name, module in list(sys.modules.items()):
            if self.modules.get(name) is not module and of_an_app(name, module):
                if name in self.modules:
                    sys.modules[name] = self.modules[name]
                else:
                    del sys.modules[name]
        for name, module in self.modules.items():
            sys.modules.setdefault(name, module)
        package = sys.modules.get("__app__")
        if package is not None:
            package.__path__[:] = self.app_package_path
        logging.getLogger().setLevel(self.levels[0])
        logging.getLogger(SYSTEM_LOGGER).setLevel(self.levels[1])


class WorkerHarness(FunctionCalls):
    """One in-process worker and the host channel that talks to it; `close()` when done."""

    answer_timeout = TIMEOUT

    def __init__(
        self,
        app_dir: str | None = None,
        env: Mapping[str, str] | None = None,
        *,
        init: bool = True,
        handlers: dict[str, Handler] | None = None,
        capabilities: Mapping[str, str] | None = None,
        request_id: str = "harness-worker",
        worker_id: str = "harness",
    ) -> None:
        self.app_dir = os.path.abspath(app_dir) if app_dir else None
        self._before = _ProcessState()
        os.environ.update(env or {})
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.get_ident()
        #: every message the worker sent, in order, as the host received it
        self.sent: list[pb.StreamingMessage] = []
        self._taken: set[int] = set()  # indexes in `sent` handed out by next_reply
        self.state = WorkerState(send=self._worker_send, request_id=request_id, settings=Settings.from_env())
        self.dispatcher = Dispatcher(self.state, handlers)
        self.log_handler = logs.RpcLogHandler(self._worker_send, request_id)
        #: set when the worker's side of the stream has ended (after a terminate's drain, say)
        self.abandoned: list[str] | None = None
        #: why the worker could not parse a message the host sent (it ends the stream then)
        self.undecodable: Exception | None = None
        self.init_response: pb.WorkerInitResponse | None = None
        self.loads: dict[str, tuple[str, pb.FunctionLoadResponse]] = {}
        self._closed = False
        try:
            self.channel: WorkerChannel = self.run(self._open(worker_id))
            if init:
                self.init(capabilities=capabilities)
        except BaseException:
            self.close()
            raise

    # ---- the stream ------------------------------------------------------------------------

    async def _open(self, worker_id: str) -> WorkerChannel:
        self._arrived = asyncio.Event()
        self._to_host: asyncio.Queue[pb.StreamingMessage | None] = asyncio.Queue()
        logs.install(self.log_handler, self.state.settings.debug_logging)
        logs.propagate_into_threads()
        channel = WorkerChannel(worker_id, self.state.request_id, keep_logs=True)
        channel.attach(self._incoming())
        self._pump = self.loop.create_task(self._serve(channel), name="harness-worker")
        self._stopper = self.loop.create_task(self._stop_when_asked(), name="harness-stopper")
        return channel

    def _worker_send(self, message: pb.StreamingMessage) -> None:
        """WorkerState.send: from the loop or any thread, as the transport's `send`."""
        if threading.get_ident() == self._loop_thread:
            self._deliver(message)
        else:
            try:
                self.loop.call_soon_threadsafe(self._deliver, message)
            except RuntimeError:  # the harness is closed: nowhere to deliver, as with a dead stream
                pass

    def _deliver(self, message: pb.StreamingMessage | None) -> None:
        if message is not None:
            message = pb.StreamingMessage.FromString(message.SerializeToString())
            self.sent.append(message)
        self._to_host.put_nowait(message)
        self._arrived.set()

    async def _incoming(self):  # the host channel reads the worker's messages from here
        while (message := await self._to_host.get()) is not _END:
            yield message

    async def _serve(self, channel: WorkerChannel) -> None:
        """The worker's read loop: each message the host queues is parsed and dispatched."""
        async for message in channel.outgoing():
            try:
                parsed = pb.StreamingMessage.FromString(serialize_outgoing(message))
            except Exception as exc:  # the worker cannot tell what was asked: it stops (lifecycle)
                self.undecodable = exc
                break
            self.dispatcher.dispatch(parsed)
        self._end_stream()  # the host closed the stream (or sent garbage): the worker's side ends

    async def _stop_when_asked(self) -> None:
        """A stop request (WorkerTerminate): the drain, then the worker ends the stream."""
        await self.state.shutdown_requested.wait()
        self.abandoned = await shutdown.drain(self.state)
        self._end_stream()

    def _end_stream(self) -> None:
        if self.abandoned is None:
            self.abandoned = []
        self._deliver(_END)

    # ---- driving -----------------------------------------------------------------------------

    def run(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the harness loop, bounded by `timeout`."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        """Start a coroutine that runs whenever the loop does; `run(task)` awaits it."""
        return self.loop.create_task(coro)  # type: ignore[arg-type]

    def send(self, message: pb.StreamingMessage) -> None:
        """Queue any message for the worker as the host would (it is dispatched on the next run)."""
        self.run(self.channel.send(message))

    def send_raw(self, data: bytes) -> None:
        self.run(self.channel.send_raw(data))

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        """Wait for messages from the worker until `predicate()` is true; its value, or
        TimeoutError."""
        deadline = self.loop.time() + timeout
        while not (value := predicate()):
            left = deadline - self.loop.time()
            if left <= 0:
                raise asyncio.TimeoutError(f"still not true after {timeout} s: {predicate}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.05))
            except asyncio.TimeoutError:
                pass  # look again: the predicate may watch state, not messages
        return value

    def settle(self, predicate: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        """`wait_until`, from a test."""
        return self.run(self.wait_until(predicate, timeout), timeout + 5)

    def next_reply(
        self, kind: str, predicate: Callable[[pb.StreamingMessage], bool] | None = None, timeout: float = TIMEOUT
    ) -> pb.StreamingMessage:
        """The first message of `kind` (that satisfies `predicate`) the worker sent and no earlier
        next_reply returned; waits for it."""

        def find() -> pb.StreamingMessage | None:
            for i, message in enumerate(self.sent):
                if (
                    i not in self._taken
                    and message.WhichOneof("content") == kind
                    and (predicate is None or predicate(message))
                ):
                    self._taken.add(i)
                    return message
            return None

        return self.settle(find, timeout)

    def replies(self, kind: str) -> list[Any]:
        """The content of every message of `kind` the worker sent so far."""
        return [getattr(m, kind) for m in self.sent if m.WhichOneof("content") == kind]

    def kinds(self) -> list[str]:
        """The kinds of the messages the worker sent so far, logs left out."""
        return [str(kind) for m in self.sent if (kind := m.WhichOneof("content")) != "rpc_log"]

    def forget(self) -> None:
        """Drop the messages and logs collected so far (long fuzz runs)."""
        self.sent.clear()
        self._taken.clear()
        self.channel.clear_logs()

    # ---- the host's requests, as the fake host makes them --------------------------------------

    def init(
        self, app_dir: str | None = None, capabilities: Mapping[str, str] | None = None, timeout: float = TIMEOUT
    ) -> pb.WorkerInitResponse:
        app_dir = app_dir or self.app_dir or ""
        self.init_response = self.run(
            self.channel.init(app_dir, capabilities=capabilities, timeout=timeout), timeout + 5
        )
        return self.init_response

    def metadata(self, app_dir: str | None = None, timeout: float = TIMEOUT) -> pb.FunctionMetadataResponse:
        app_dir = app_dir or self.app_dir or ""
        return self.run(self.channel.functions_metadata(app_dir, timeout=timeout), timeout + 5)

    def load(
        self, function_id: str, metadata: pb.RpcFunctionMetadata, timeout: float = TIMEOUT
    ) -> pb.FunctionLoadResponse:
        response = self.run(self.channel.load(function_id, metadata, timeout=timeout), timeout + 5)
        self.loads[metadata.name or function_id] = (function_id, response)
        return response

    def load_v1_app(self, app_dir: str | None = None, timeout: float = TIMEOUT) -> dict[str, tuple[str, LoadResponse]]:
        """Load every function.json folder of the app: {name: (function_id, response)}."""
        app_dir = app_dir or self.app_dir
        assert app_dir is not None
        for function_id, metadata in discover_v1_functions(app_dir):
            self.load(function_id, metadata, timeout)
        return self.loads

    def load_v2_app(self, timeout: float = TIMEOUT) -> dict[str, tuple[str, LoadResponse]]:
        """Index the app (FunctionsMetadataRequest), then load each function it reports."""
        response = self.metadata(timeout=timeout)
        assert response.result.status == SUCCESS, response.result.exception.message
        for indexed in response.function_metadata_results:
            self.load(indexed.function_id, indexed_load_metadata(indexed), timeout)
        return self.loads

    def start(self, request: pb.InvocationRequest, timeout: float = TIMEOUT) -> asyncio.Task:
        """Send an invocation and return once the worker has it in flight, without waiting for
        its answer: the Task of the answer (`run(task)` waits for it)."""
        task = self.spawn(self.channel.invoke(request, timeout=timeout))
        self.settle(lambda: request.invocation_id in self.state.in_flight or task.done(), timeout)
        return task

    def invoke_many(
        self, requests: list[pb.InvocationRequest], timeout: float = TIMEOUT
    ) -> list[pb.InvocationResponse]:
        """Send all the requests at once; their responses in request order."""

        async def every() -> list[pb.InvocationResponse]:
            return list(await asyncio.gather(*(self.channel.invoke(r, timeout) for r in requests)))

        return self.run(every(), timeout + 5)

    def answers_for(self, invocation_id: str) -> list[pb.InvocationResponse]:
        """Every InvocationResponse the worker sent for this invocation (one is right)."""
        return [r for r in self.replies("invocation_response") if r.invocation_id == invocation_id]

    def system_errors(self) -> list[str]:
        """Error logs of the worker's own ("internal error while handling ...")."""
        errors = (pb.RpcLog.Level.Value("Error"), pb.RpcLog.Level.Value("Critical"))
        return [
            log.message
            for log in self.channel.logs
            if log.level in errors and log.category.split(".")[0] == SYSTEM_LOGGER
        ]

    # ---- the end -------------------------------------------------------------------------------

    def close(self) -> None:
        """End the stream as the host does, stop the worker, put the process back as it was."""
        if self._closed:
            return
        self._closed = True
        try:
            if hasattr(self, "channel"):
                self.run(self._close(), 15.0)
        finally:
            leftovers = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in leftovers:  # invocations still running, the worker's own tasks
                task.cancel()
            if leftovers:
                self.loop.run_until_complete(asyncio.wait(leftovers, timeout=5.0))
            logs.uninstall(self.log_handler)
            executor = self.state.executor
            if executor is not None:
                executor.shutdown(wait=False, drop_queued=True)
            self.loop.close()
            self._before.restore({d for d in (self.app_dir, self.state.app_dir) if d})

    async def _close(self) -> None:
        await self.channel.close(timeout=5.0)
        await app_index.shutdown_app(self.state)

    def __enter__(self) -> WorkerHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
