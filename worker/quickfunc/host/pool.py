"""FUNCTIONS_WORKER_PROCESS_COUNT worker processes: start, index and load them as the host does,
pick the least busy one per invocation, restart any that dies (backing off, never giving up for
good), terminate them at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from quickfunc.host.bringup import DiedStarting, Launcher, StartupError, discard
from quickfunc.host.catalog import Catalog
from quickfunc.host.config import HostConfig
from quickfunc.host.pool_errors import InvocationTimedOut, NoWorkerAvailable, WorkerCrashed, gather_or_cancel
from quickfunc.host.process import OutputLine
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.slots import (
    RESTARTING,
    RUNNING,
    STARTING,
    STOPPED,
    WAITING,
    WorkerSlot,
    restart_delay,
)
from quickfunc.host.startup import describe_exit
from quickfunc.host.wire import PreparedInvocation
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import pb

__all__ = ["StartupError", "WorkerCrashed", "InvocationTimedOut", "NoWorkerAvailable", "WorkerSlot", "WorkerPool"]

#: what a failed (re)start attempt can raise; anything else is a bug and is not retried
_START_FAILURES = (StartupError, DiedStarting, WorkerGone, asyncio.TimeoutError, OSError)


LogCallback = Callable[[WorkerSlot, pb.RpcLog], None]
OutputCallback = Callable[[WorkerSlot, OutputLine], None]
EventCallback = Callable[[str, str], None]  # (level name, message)


class WorkerPool:
    """The worker processes of one app and the gRPC server they connect to."""

    def __init__(
        self,
        config: HostConfig,
        on_log: LogCallback,
        on_output: OutputCallback,
        on_event: EventCallback,
    ) -> None:
        self.config = config
        self.on_log = on_log
        self.on_output = on_output
        self.on_event = on_event
        #: called with the catalog when the app starts after start() returned None
        self.on_started: Callable[[Catalog], Any] | None = None
        self.server = RpcServer()
        self.launcher = Launcher(
            config,
            self.server,
            lambda s, line: self.on_output(s, line),
            lambda s, log: self.on_log(s, log),
            lambda level, text: self.on_event(level, text),
        )
        self.slots = [WorkerSlot(i) for i in range(config.process_count)]
        self.catalog: Catalog | None = None
        #: the app is indexed and loaded (its functions can run once a worker is ready)
        self.app_ready = False
        self._turn = 0
        self._stopping = False
        self._changed = asyncio.Event()  # set whenever a slot changes state
        self._restarts: set[asyncio.Task] = set()

    # ---- what the pool looks like --------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """Process ids of the worker processes that are running."""
        return [s.pid for s in self.slots if s.alive and s.pid is not None]

    @property
    def capabilities(self) -> dict[str, str]:
        """The capabilities of the workers (all run the same worker); while none is ready (one
        restarting), those the last one advertised."""
        ready = next((s.capabilities for s in self.slots if s.ready), None)
        return ready if ready is not None else next((s.capabilities for s in self.slots if s.capabilities), {})

    @property
    def outstanding(self) -> int:
        return sum(s.outstanding for s in self.slots)

    @property
    def state(self) -> str:
        """The host's state as /admin/host/status names it."""
        if self._stopping:
            return "Stopping"
        if self.app_ready and any(s.ready for s in self.slots):
            return "Running"
        if any(s.state in (STARTING, RESTARTING) for s in self.slots):
            return "Starting"
        return "Error"

    def report(self) -> list[dict[str, Any]]:
        now = asyncio.get_running_loop().time()
        return [slot.report(now) for slot in self.slots]

    def problem(self) -> str:
        """Why no worker is running, naming each one and its next attempt."""
        now = asyncio.get_running_loop().time()
        parts = []
        for slot in self.slots:
            if slot.state == WAITING:
                parts.append(f"{slot.last_error}; next attempt in {max(0.0, slot.next_attempt - now):.1f}s")
            elif not slot.ready and slot.last_error:
                parts.append(slot.last_error)
        return "; ".join(dict.fromkeys(parts)) or "no worker process is running"

    def _set(self, slot: WorkerSlot, state: str, delay: float = 0.0) -> None:
        slot.state = state
        slot.next_attempt = asyncio.get_running_loop().time() + delay
        self._changed.set()

    def _delay(self, attempts: int) -> float:
        return restart_delay(attempts, self.config.restart_delay, self.config.restart_max_delay)

    # ---- start ---------------------------------------------------------------------------------

    async def start(self, retry: bool = True) -> Catalog | None:
        """Start every worker; index through the first; load every function in each.

        None when a worker process died while indexing or loading the app: the pool then keeps
        trying (with back-off) and calls ``on_started`` once the app runs; without ``retry`` it
        stops and raises DiedStarting instead. Other failures raise StartupError."""
        if not self.launcher.port:  # not prepared
            self.launcher.port = await self.server.start("127.0.0.1", 0)
        try:
            await self._start_all()
        except DiedStarting as exc:
            if not retry:
                await self.stop()
                raise
            self._keep_trying(self._start_again(str(exc)), "start-app")
            return None
        except BaseException:
            await self.stop()
            raise
        return self.catalog

    async def _start_all(self) -> None:
        launcher = self.launcher
        for slot in self.slots:
            self._set(slot, STARTING)
        try:
            await gather_or_cancel([launcher.launch(slot) for slot in self.slots if not slot.connected])
            self.catalog = catalog = await launcher.index(self.slots[0])
            await gather_or_cancel([launcher.load(slot, catalog, record=slot.index == 0) for slot in self.slots])
        except BaseException:
            for slot in self.slots:
                if slot.process is not None:
                    await discard(slot.process)
            raise
        self.app_ready = True
        for slot in self.slots:
            self._ready(slot)

    async def _start_again(self, error: str) -> None:
        """The app killed its worker while starting: try again and again, backing off."""
        attempts = 0
        while not self._stopping:
            attempts += 1
            delay = self._delay(attempts)
            for slot in self.slots:
                slot.last_error = error
                self._set(slot, WAITING, delay)
            self.on_event(
                "Error",
                f"{error}. The app is not running; the host tries again in {delay:g}s (attempt {attempts + 1}).",
            )
            await asyncio.sleep(delay)
            for slot in self.slots:
                slot.restarts += 1
            try:
                await self._start_all()
            except _START_FAILURES as exc:
                error = str(exc)
                continue
            self.on_event("Information", f"The app started (attempt {attempts + 1}).")
            if self.on_started is not None:
                self.on_started(self.catalog)  # type: ignore[arg-type]
            return

    def _ready(self, slot: WorkerSlot) -> None:
        slot.ready = True
        slot.ready_since = asyncio.get_running_loop().time()
        self._set(slot, RUNNING)
        slot.watcher = asyncio.create_task(self._watch(slot), name=f"watch-worker-{slot.index}")

    def _keep_trying(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

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
            await discard(process)
        slot.ready = False
        how = slot.kill_reason or f"{describe_exit(code)}"
        description = f"worker process {slot.index + 1} (pid {process.pid}) {how}"
        channel.mark_gone(description)
        if slot.death is not None and not slot.death.done():
            slot.death.set_result(description)
        slot.last_error = description
        if self._stopping:
            self._set(slot, STOPPED)
            return
        loop = asyncio.get_running_loop()
        if slot.kill_reason or loop.time() - slot.ready_since >= self.config.restart_max_delay:
            slot.attempts_in_a_row = 0  # stopped on purpose, or it stayed up: no back-off
        delay = self._delay(slot.attempts_in_a_row)
        self._set(slot, WAITING if delay else RESTARTING, delay)
        when = f"in {delay:g}s" if delay else "now"
        self.on_event("Error", f"{description}; restarting it {when}")
        self._keep_trying(self._restart(slot, delay), f"restart-worker-{slot.index}")

    async def _restart(self, slot: WorkerSlot, delay: float) -> None:
        """Restart attempts until one works, each pause twice the last (up to the maximum)."""
        label = f"worker {slot.index + 1}"
        while not self._stopping:
            if delay:
                self._set(slot, WAITING, delay)
                await asyncio.sleep(delay)
            slot.restarts += 1
            slot.attempts_in_a_row += 1
            self._set(slot, RESTARTING)
            try:
                await self.launcher.launch(slot)
                assert self.catalog is not None
                await self.launcher.load(slot, self.catalog)
            except _START_FAILURES as exc:
                pid = f", pid {slot.pid}" if slot.pid is not None else ""  # the process that failed
                if slot.process is not None:
                    await discard(slot.process)
                slot.last_error = str(exc)
                delay = self._delay(slot.attempts_in_a_row)
                self.on_event(
                    "Error",
                    f"restarting {label} failed (attempt {slot.restarts}{pid}): {exc}; next attempt in {delay:g}s",
                )
                continue
            if self._stopping:
                await discard(slot.process)
                return
            slot.last_error = ""
            self._ready(slot)
            self.on_event("Information", f"{slot.label} started (restart)")
            return

    # ---- invocations ---------------------------------------------------------------------------

    def _choose(self) -> WorkerSlot | None:
        """The ready worker with the least outstanding work (ties taken in turn)."""
        if len(self.slots) == 1:  # the default worker count: no choice to make
            return self.slots[0] if self.slots[0].ready else None
        ready = [s for s in self.slots if s.ready]
        if not ready:
            return None
        self._turn = (self._turn + 1) % len(ready)
        ordered = ready[self._turn :] + ready[: self._turn]
        return min(ordered, key=lambda s: s.outstanding)

    async def _available(self) -> WorkerSlot:
        """A ready worker; waits while one is (re)starting, not while all wait out a back-off."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.worker_start_timeout
        while True:
            slot = self._choose()
            if slot is not None:
                return slot
            if self._stopping:
                raise NoWorkerAvailable("the host is stopping")
            remaining = deadline - loop.time()
            starting = any(s.state not in (WAITING, STOPPED) for s in self.slots)
            if not self.app_ready or not starting or remaining <= 0:
                raise NoWorkerAvailable(self.problem())
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def invoke(
        self,
        request: pb.InvocationRequest | PreparedInvocation,
        timeout: float | None,
        on_slot: Callable[[WorkerSlot], None] | None = None,
    ) -> tuple[pb.InvocationResponse, WorkerSlot]:
        """Run one invocation on the least busy worker; raise WorkerCrashed, InvocationTimedOut
        or NoWorkerAvailable instead of hanging. ``on_slot`` learns the worker chosen (HTTP
        streaming forwards the request to that worker's own server)."""
        slot = await self._available()
        if on_slot is not None:
            on_slot(slot)
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
            reason = (
                f"was restarted because invocation {request.invocation_id} did not finish "
                f"within {timeout:g}s (functionTimeout)"
            )
            await self._recycle(slot, reason)
            raise InvocationTimedOut(
                f"the function did not finish within {timeout:g}s "
                f"(host.json functionTimeout); {slot.label} "
                "was restarted"
            ) from None
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
        self._changed.set()
        grace = self.config.terminate_grace
        for task in list(self._restarts):
            task.cancel()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        await asyncio.gather(*(self._stop_slot(slot, grace) for slot in self.slots), return_exceptions=True)
        for slot in self.slots:
            if slot.watcher is not None:
                slot.watcher.cancel()
        await asyncio.gather(*(s.watcher for s in self.slots if s.watcher), return_exceptions=True)
        await self.server.stop(0)

    async def _stop_slot(self, slot: WorkerSlot, grace: float) -> None:
        slot.ready = False
        slot.state = STOPPED
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
