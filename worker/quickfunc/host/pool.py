"""FUNCTIONS_WORKER_PROCESS_COUNT worker processes: start, index and load them as the host does,
pick the least busy one per invocation, restart any that dies, terminate them at the end."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from quickfunc.host.catalog import Catalog, catalog_from_folders, catalog_from_metadata, load_request
from quickfunc.host.config import HostConfig
from quickfunc.host.process import OutputLine, WorkerCommand, WorkerProcess
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.startup import WorkerDidNotConnect, describe_exit, wait_connected
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import pb

__all__ = ["StartupError", "WorkerCrashed", "InvocationTimedOut", "NoWorkerAvailable",
           "WorkerSlot", "WorkerPool"]

_SUCCESS = pb.StatusResult.Success
#: the host's default for metadata and load responses
_INDEX_TIMEOUT = 60.0
#: restart attempts for a worker that keeps failing to start, and the longest pause between them
_MAX_RESTART_ATTEMPTS = 5
_MAX_RESTART_DELAY = 10.0


class StartupError(Exception):
    """A worker could not be started, initialised or could not index the app."""


class WorkerCrashed(Exception):
    """The worker running an invocation died before answering."""


class InvocationTimedOut(Exception):
    """No answer within functionTimeout; the worker was restarted, as the host does."""


class NoWorkerAvailable(Exception):
    """Every worker process is down and none came back in time."""


async def _all(coroutines: list) -> None:
    """Run together; on the first failure cancel the rest (no half-started workers), re-raise."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


@dataclass
class WorkerSlot:
    """One place in the pool; its process is replaced when it dies."""

    index: int
    process: WorkerProcess | None = None
    channel: WorkerChannel | None = None
    ready: bool = False
    outstanding: int = 0
    #: resolves to a sentence describing how the current process ended
    death: asyncio.Future[str] | None = None
    #: why the host is stopping this process on purpose (e.g. a timed-out invocation)
    kill_reason: str = ""
    watcher: asyncio.Task | None = None
    capabilities: dict[str, str] = field(default_factory=dict)
    #: "<major>.<minor>" the worker reported at init
    runtime_version: str = ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def label(self) -> str:
        return f"worker {self.index + 1}, pid {self.pid}"


LogCallback = Callable[[WorkerSlot, pb.RpcLog], None]
OutputCallback = Callable[[WorkerSlot, OutputLine], None]
EventCallback = Callable[[str, str], None]  # (level name, message)


class WorkerPool:
    """The worker processes of one app and the gRPC server they connect to."""

    def __init__(self, config: HostConfig, on_log: LogCallback, on_output: OutputCallback,
                 on_event: EventCallback) -> None:
        self.config = config
        self.on_log = on_log
        self.on_output = on_output
        self.on_event = on_event
        self.server = RpcServer()
        self.slots = [WorkerSlot(i) for i in range(config.process_count)]
        self.catalog: Catalog | None = None
        self._port = 0
        self._turn = 0
        self._stopping = False
        self._changed = asyncio.Event()  # set whenever a slot becomes ready
        self._restarts: set[asyncio.Task] = set()

    # ---- start ---------------------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.slots if s.pid is not None]

    @property
    def capabilities(self) -> dict[str, str]:
        """The capabilities of the workers (all run the same worker)."""
        return next((s.capabilities for s in self.slots if s.ready), {})

    @property
    def outstanding(self) -> int:
        return sum(s.outstanding for s in self.slots)

    async def start(self) -> Catalog:
        """Start every worker; index through the first; load every function in each."""
        self._port = await self.server.start("127.0.0.1", 0)
        try:
            await _all([self._launch(slot) for slot in self.slots])
            self.catalog = await self._index(self.slots[0])
            await _all([self._load(slot, record=slot.index == 0) for slot in self.slots])
        except BaseException:
            await self.stop()
            raise
        for slot in self.slots:
            self._ready(slot)
        return self.catalog

    async def _launch(self, slot: WorkerSlot) -> None:
        """Start a process for the slot, wait for its StartStream, send WorkerInitRequest."""
        config = self.config
        process = WorkerProcess(WorkerCommand(executable=config.python),
                                on_output=lambda line: self.on_output(slot, line))
        slot.process, slot.channel, slot.kill_reason = process, None, ""
        slot.death = asyncio.get_running_loop().create_future()
        self.server.expect(process.worker_id)
        try:
            await process.start("127.0.0.1", self._port, config.app_dir, config.worker_env,
                                inherit_env=False, own_process_group=True)
        except OSError as exc:
            raise StartupError(f"could not start the worker with {config.python}: "
                               f"{exc.strerror or exc}") from None
        try:
            channel = await self._connect(process, config.worker_start_timeout)
            channel.on_log = lambda log: self.on_log(slot, log)
            init = await channel.init(config.app_dir, process.command.worker_directory(),
                                      timeout=config.worker_start_timeout)
        except BaseException:
            await self._discard(process)
            raise
        if init.result.status != _SUCCESS:
            await self._discard(process)
            raise StartupError(f"{slot.label} rejected WorkerInitRequest: "
                               f"{init.result.exception.message or 'no reason given'}")
        slot.channel = channel
        slot.capabilities = dict(init.capabilities)
        slot.runtime_version = init.worker_metadata.runtime_version

    async def _connect(self, process: WorkerProcess, timeout: float) -> WorkerChannel:
        """The worker's channel, or a StartupError with its output if it exits or stays silent."""
        try:
            return await wait_connected(self.server, process, timeout)
        except WorkerDidNotConnect as exc:
            raise StartupError(str(exc)) from None

    async def _discard(self, process: WorkerProcess) -> None:
        if process.pid is not None and process.returncode is None:
            await process.kill()
            try:
                await process.wait(5)
            except asyncio.TimeoutError:
                pass

    async def _index(self, slot: WorkerSlot) -> Catalog:
        """FunctionsMetadataRequest to the first worker only (protocol §5.1)."""
        assert slot.channel is not None
        config = self.config
        response = await slot.channel.functions_metadata(config.app_dir, timeout=_INDEX_TIMEOUT)
        if response.result.status != _SUCCESS:
            exc = response.result.exception
            detail = exc.message or "no reason given"
            if exc.stack_trace:
                detail += "\n" + exc.stack_trace.rstrip()
            raise StartupError(f"the worker could not index the app in {config.app_dir}: {detail}")
        if response.use_default_metadata_indexing:
            return catalog_from_folders(config.app_dir, config.disabled)
        return catalog_from_metadata(response, config.disabled)

    async def _load(self, slot: WorkerSlot, record: bool = False) -> None:
        """Load every runnable function into the slot's worker; ``record`` keeps load errors."""
        assert slot.channel is not None and self.catalog is not None
        specs = self.catalog.loadable()
        if not specs:
            return
        requests = [load_request(spec) for spec in specs]
        if slot.capabilities.get("SupportsLoadResponseCollection"):
            responses = await slot.channel.load_collection(requests, timeout=_INDEX_TIMEOUT)
        else:
            responses = await asyncio.gather(*(
                slot.channel.load(r.function_id, r.metadata, timeout=_INDEX_TIMEOUT)
                for r in requests))
        for spec, response in zip(specs, responses):
            if response.result.status == _SUCCESS:
                continue
            message = response.result.exception.message or "the worker could not load it"
            if record:
                spec.error = message
            elif spec.runnable:
                self.on_event("Warning", f"{slot.label} could not load {spec.name}: {message}")

    def _ready(self, slot: WorkerSlot) -> None:
        slot.ready = True
        slot.watcher = asyncio.create_task(self._watch(slot), name=f"watch-worker-{slot.index}")
        self._changed.set()

    # ---- death and restart ---------------------------------------------------------------------

    async def _watch(self, slot: WorkerSlot) -> None:
        """Wait for the process to exit (or its stream to end), then restart it."""
        process, channel = slot.process, slot.channel
        assert process is not None and channel is not None
        exited = asyncio.ensure_future(process.wait())
        closed = asyncio.ensure_future(channel.closed.wait())
        try:
            await asyncio.wait({exited, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():  # the stream ended first: give the process a moment
                await asyncio.wait({exited}, timeout=2.0)
        finally:
            closed.cancel()
        code = exited.result() if exited.done() and not exited.cancelled() else None
        if not exited.done():
            exited.cancel()
            await self._discard(process)
        slot.ready = False
        how = slot.kill_reason or f"{describe_exit(code)}"
        description = f"worker process {slot.index + 1} (pid {process.pid}) {how}"
        channel.mark_gone(description)
        if slot.death is not None and not slot.death.done():
            slot.death.set_result(description)
        if self._stopping:
            return
        self.on_event("Error", f"{description}; restarting it")
        task = asyncio.create_task(self._restart(slot), name=f"restart-worker-{slot.index}")
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, slot: WorkerSlot) -> None:
        delay = 0.2
        for attempt in range(1, _MAX_RESTART_ATTEMPTS + 1):
            if self._stopping:
                return
            try:
                await self._launch(slot)
                await self._load(slot)
            except (StartupError, WorkerGone, asyncio.TimeoutError) as exc:
                if slot.process is not None:
                    await self._discard(slot.process)
                self.on_event("Error", f"restarting worker {slot.index + 1} failed "
                                       f"(attempt {attempt} of {_MAX_RESTART_ATTEMPTS}): {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RESTART_DELAY)
                continue
            if self._stopping:
                await self._discard(slot.process)  # type: ignore[arg-type]
                return
            self._ready(slot)
            self.on_event("Information", f"{slot.label} started (restart)")
            return
        self.on_event("Error", f"worker {slot.index + 1} could not be restarted; "
                               "the remaining workers carry on")

    # ---- invocations ---------------------------------------------------------------------------

    def _choose(self) -> WorkerSlot | None:
        """The ready worker with the least outstanding work (ties taken in turn)."""
        ready = [s for s in self.slots if s.ready]
        if not ready:
            return None
        self._turn = (self._turn + 1) % len(ready)
        ordered = ready[self._turn:] + ready[:self._turn]
        return min(ordered, key=lambda s: s.outstanding)

    async def _available(self) -> WorkerSlot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.worker_start_timeout
        while True:
            slot = self._choose()
            if slot is not None:
                return slot
            remaining = deadline - loop.time()
            if self._stopping or remaining <= 0 or not (self._restarts or self._any_alive()):
                raise NoWorkerAvailable("no worker process is running (see the errors above)")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _any_alive(self) -> bool:
        return any(s.process is not None and s.process.returncode is None for s in self.slots)

    async def invoke(self, request: pb.InvocationRequest, timeout: float | None,
                     ) -> tuple[pb.InvocationResponse, WorkerSlot]:
        """Run one invocation on the least busy worker; raise WorkerCrashed, InvocationTimedOut
        or NoWorkerAvailable instead of hanging."""
        slot = await self._available()
        channel, death = slot.channel, slot.death
        assert channel is not None and death is not None
        slot.outstanding += 1
        try:
            return await channel.invoke(request, timeout=timeout), slot
        except WorkerGone as exc:
            try:
                description = await asyncio.wait_for(asyncio.shield(death), 5.0)
            except asyncio.TimeoutError:
                description = str(exc)
            raise WorkerCrashed(f"{description} while running this invocation") from None
        except asyncio.TimeoutError:
            reason = (f"was restarted because invocation {request.invocation_id} did not finish "
                      f"within {timeout:g}s (functionTimeout)")
            await self._recycle(slot, reason)
            raise InvocationTimedOut(f"the function did not finish within {timeout:g}s "
                                     f"(host.json functionTimeout); {slot.label} "
                                     "was restarted") from None
        finally:
            slot.outstanding -= 1

    async def _recycle(self, slot: WorkerSlot, reason: str) -> None:
        """Kill the slot's process on purpose; the watcher restarts it."""
        if slot.process is not None and slot.process.returncode is None:
            slot.kill_reason = reason
            slot.ready = False
            await slot.process.kill()

    # ---- stop ----------------------------------------------------------------------------------

    async def kill_all(self) -> None:
        """Stop now: kill every worker process (in-flight invocations fail at once)."""
        self._stopping = True
        for slot in self.slots:
            slot.ready = False
            if slot.process is not None and slot.process.pid is not None:
                await slot.process.kill()

    async def stop(self) -> None:
        """Send WorkerTerminate, close every stream, wait (grace period), kill what is left."""
        self._stopping = True
        grace = self.config.terminate_grace
        for task in list(self._restarts):
            task.cancel()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        await asyncio.gather(*(self._stop_slot(slot, grace) for slot in self.slots),
                             return_exceptions=True)
        for slot in self.slots:
            if slot.watcher is not None:
                slot.watcher.cancel()
        await asyncio.gather(*(s.watcher for s in self.slots if s.watcher),
                             return_exceptions=True)
        await self.server.stop(0)

    async def _stop_slot(self, slot: WorkerSlot, grace: float) -> None:
        slot.ready = False
        channel, process = slot.channel, slot.process
        if channel is not None and not channel.closed.is_set():
            try:
                if slot.capabilities.get("HandlesWorkerTerminateMessage"):
                    await channel.terminate(grace)
                await channel.close(timeout=grace)
            except WorkerGone:
                pass
        if process is not None and process.pid is not None and process.returncode is None:
            try:
                await process.wait(grace)
            except asyncio.TimeoutError:
                await process.kill()
                try:
                    await process.wait(grace)
                except asyncio.TimeoutError:
                    pass
