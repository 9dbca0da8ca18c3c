"""Run one invocation on the pool and report it: function logs with the function's name, output
bindings as log lines, failures with their stack; also tracks in-flight work for draining."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.errors_once import ErrorsOnce
from quickfunc.host.ids import new_uuid
from quickfunc.host.invocations import Inputs
from quickfunc.host.output import Console
from quickfunc.host.pool import (
    InvocationTimedOut,
    NoWorkerAvailable,
    WorkerCrashed,
    WorkerPool,
    WorkerSlot,
)
from quickfunc.host.process import OutputLine
from quickfunc.host.request_builders import build_invocation
from quickfunc.host.responses import describe_value
from quickfunc.host.setting_values import level_number
from quickfunc.host.shared_memory import HostMaps, InvocationMaps
from quickfunc.host.wire import prepare_invocation
from quickfunc.protos import pb

if TYPE_CHECKING:
    from quickfunc.host.blob_bindings import BlobBindings, BlobWrite

__all__ = ["Outcome", "Invoker"]

_SUCCESS = pb.StatusResult.Success
_USER = pb.RpcLog.RpcLogCategory.Value("User")
_LEVEL_INFO = pb.RpcLog.Level.Value("Information")
_LEVEL_WARNING = pb.RpcLog.Level.Value("Warning")
_LEVEL_ERROR = pb.RpcLog.Level.Value("Error")
#: categories of the lines a worker sends for print() inside an invocation (QuickfuncInvocationOutput)
PRINTED = frozenset({"stdout", "stderr"})


@dataclass
class Outcome:
    """What happened to one invocation."""

    function: FunctionSpec
    invocation_id: str
    response: pb.InvocationResponse | None
    #: why it failed (empty on success)
    error: str
    seconds: float
    worker_pid: int | None = None
    #: the worker process died or timed out (as opposed to the function raising)
    host_error: bool = False
    #: no worker process was running to take it
    unavailable: bool = False

    @property
    def ok(self) -> bool:
        return not self.error

    def output(self, name: str) -> pb.TypedData | None:
        """The value of an output binding ('$return' = the return value)."""
        if self.response is None:
            return None
        if name == "$return":
            return self.response.return_value if self.response.HasField("return_value") else None
        return next((p.data for p in self.response.output_data if p.name == name), None)


class Invoker:
    """Sends invocations to the pool; knows which invocation id belongs to which function."""

    def __init__(self, pool: WorkerPool, console: Console, config: HostConfig) -> None:
        self.pool = pool
        self.console = console
        self.config = config
        self._running: dict[str, FunctionSpec] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._background: set[asyncio.Task] = set()
        self._worker_level = level_number(config.worker_log_level)
        self._function_levels: dict[str, int] = {}  # the lowest level shown, per function
        self._host_levels: dict[str, int] = {}  # the same for the host's lines about a function
        #: shared-memory transfer (FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED), else None
        self.shared_memory = HostMaps(config.shared_memory_dirs) if config.shared_memory_dirs else None
        #: id(spec) -> (spec, its pool; None once stopped) for the functions replaced by a reload
        self._owners: dict[int, tuple[FunctionSpec, WorkerPool | None]] = {}
        self._catalog: Catalog | None = None
        #: blob inputs and outputs, once the storage connections are open
        self.blobs: BlobBindings | None = None
        #: writes a successful invocation's outputs (queue_output.py); returns the bindings written
        self.output_writer: Callable[[Outcome], Awaitable[set[str]]] | None = None
        #: adds inputs the host makes for a function (the durableClient binding's value)
        self.extra_inputs: Callable[[FunctionSpec, Inputs], None] | None = None
        #: worker error lines while the app starts, so that each load or index error shows once
        self.errors = ErrorsOnce()

    def use(self, pool: WorkerPool, config: HostConfig, previous: Catalog | None, current: Catalog) -> None:
        """A reloaded app: its invocations go to its workers, with its settings. The previous
        app's functions keep going to the previous workers (the ids are theirs) until
        ``forget``: a request routed just before the switch runs the code it was routed to."""
        for spec in previous.functions if previous is not None else []:
            self._owners[id(spec)] = (spec, self.pool)
        self.pool, self.config, self._catalog = pool, config, current
        self._worker_level = level_number(config.worker_log_level)
        self._function_levels = {}
        self._host_levels = {}

    def forget(self, pool: WorkerPool) -> None:
        """The previous workers are stopping: their functions now run as the current app's
        function of the same name (a request routed before a reload whose body came late).
        Those of the reload before are let go of."""
        self._owners = {
            key: (spec, None if owner is pool else owner)
            for key, (spec, owner) in self._owners.items()
            if owner is not None
        }

    def _placed(self, spec: FunctionSpec) -> tuple[FunctionSpec, WorkerPool]:
        """The function as the pool that runs it knows it, and that pool."""
        owner = self._owners.get(id(spec))
        if owner is None or owner[0] is not spec:
            return spec, self.pool
        if owner[1] is not None:
            return spec, owner[1]
        current = self._catalog.get(spec.name) if self._catalog is not None else None
        return current or spec, self.pool

    def busy(self, pool: WorkerPool) -> int:
        """Invocations running (or about to) on ``pool``."""
        return sum(1 for spec in self._running.values() if self._placed(spec)[1] is pool)

    # ---- running -------------------------------------------------------------------------------

    async def invoke(
        self,
        spec: FunctionSpec,
        inputs: Inputs,
        on_slot: Callable[[WorkerSlot, str], None] | None = None,
    ) -> Outcome:
        """Run the function once; never raises for worker or function problems.

        An HTTP body in ``inputs`` is handed over (serialised once, then let go of). ``on_slot``
        learns the worker chosen and the invocation id, before the request is sent."""
        iid = new_uuid()
        spec, pool = self._placed(spec)
        writes: list[BlobWrite] = []
        if self.blobs is not None and self.blobs.applies(spec):
            from quickfunc.host.blob_bindings import BindingFailure

            try:
                writes = await self.blobs.prepare(spec, inputs)
            except BindingFailure as exc:  # the host fails the invocation before the function runs
                self.console.failure(spec.name, iid, str(exc), "")
                return Outcome(spec, iid, None, str(exc), 0.0)
        if self.extra_inputs is not None:
            self.extra_inputs(spec, inputs)
        maps: InvocationMaps | None = None
        data: Mapping[str, pb.TypedData] = inputs.data
        if self.shared_memory is not None:  # large bytes/string inputs go in map files instead
            maps, data = self.shared_memory.begin(pool.capabilities, data)
        built = build_invocation(
            spec.function_id, data, inputs.trigger_metadata, iid, inputs.trace_parent, inputs.trace_state
        )
        if inputs.retry is not None:
            built.retry_context.CopyFrom(inputs.retry)
        if maps is not None:
            maps.add_to(built)
        request = prepare_invocation(built, inputs.body)
        del built
        self._running[iid] = spec
        self._idle.clear()
        start = time.perf_counter()
        slot = None
        try:
            chosen = None if on_slot is None else (lambda slot: on_slot(slot, iid))
            response, slot = await pool.invoke(request, self.config.function_timeout, chosen)
            shared_error = maps.take_outputs(response) if maps is not None else ""
        except (WorkerCrashed, InvocationTimedOut, NoWorkerAvailable) as exc:
            outcome = Outcome(
                spec,
                iid,
                None,
                str(exc),
                time.perf_counter() - start,
                host_error=True,
                unavailable=isinstance(exc, NoWorkerAvailable),
            )
            self.console.failure(spec.name, iid, str(exc), "")
            return outcome
        finally:
            if maps is not None:  # inputs removed, outputs closed by the worker (or removed here)
                await maps.finish(slot.channel if slot is not None else None)
            self._running.pop(iid, None)
            if not self._running:
                self._idle.set()
        outcome = Outcome(spec, iid, response, "", time.perf_counter() - start, slot.pid)
        if shared_error and response.result.status == _SUCCESS:
            response.result.status = pb.StatusResult.Failure
            response.result.exception.message = f"function {spec.name}: {shared_error}"
        if response.result.status != _SUCCESS:
            error = response.result.exception
            status = pb.StatusResult.Status.Name(response.result.status)
            outcome.error = error.message or f"the invocation ended with status {status}"
            self.console.failure(spec.name, iid, outcome.error, error.stack_trace)
        else:
            written = await self._write_blobs(outcome, writes) if writes else set()
            if outcome.ok:
                await self._write_outputs(outcome, written)
        return outcome

    async def _write_blobs(self, outcome: Outcome, writes: list[BlobWrite]) -> set[str]:
        """Write the blob outputs of a function that succeeded; a write that fails fails it."""
        from quickfunc.host.blob_bindings import BindingFailure

        assert self.blobs is not None
        spec, iid = outcome.function, outcome.invocation_id
        try:
            done = await self.blobs.write(writes, outcome.output)
        except BindingFailure as exc:
            outcome.error = f"function {spec.name}: {exc}"
            self.console.failure(spec.name, iid, outcome.error, "")
            return set()
        for write, size in done:
            self.console.info(f"{spec.name} ({iid[:8]}) wrote blob '{write.path}' ({size} bytes)")
        return {write.binding.name for write, _ in done}

    async def _write_outputs(self, outcome: Outcome, written: set[str]) -> None:
        """Outputs are written only after success; one that cannot be written fails the invocation."""
        if self.output_writer is not None:
            try:
                written |= await self.output_writer(outcome)
            except Exception as exc:  # an output the host could not write: the invocation fails
                outcome.error = str(exc) or repr(exc)
                self.console.failure(outcome.function.name, outcome.invocation_id, outcome.error, "")
                return
        self._show_outputs(outcome, written)

    def start_background(self, spec: FunctionSpec, inputs: Inputs, reason: str) -> None:
        """Invoke without waiting (admin invoke); the result is reported on the console."""
        task = asyncio.create_task(self.run_reported(spec, inputs, reason))
        self._background.add(task)
        self._idle.clear()
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not self._running and not self._background:
            self._idle.set()

    async def run_reported(self, spec: FunctionSpec, inputs: Inputs, reason: str) -> Outcome:
        """Invoke and print the 'Executed ...' line (timer and admin invocations)."""
        outcome = await self.invoke(spec, inputs)
        # a success is an Information line: not even formatted when the function's level hides it
        if not outcome.ok or self._host_level(spec.name) <= _LEVEL_INFO:
            self.console.executed(spec.name, outcome.invocation_id, outcome.ok, outcome.seconds, reason)
        return outcome

    def _host_level(self, name: str) -> int:
        lowest = self._host_levels.get(name)
        if lowest is None:
            lowest = self._host_levels[name] = self.config.function_log_level(name, user=False)
        return lowest

    def _show_outputs(self, outcome: Outcome, written: set[str]) -> None:
        for binding in outcome.function.outputs:
            if binding.name in written:
                continue
            value = outcome.output(binding.name)
            if value is not None and value.WhichOneof("data") is not None:
                self.console.output_binding(
                    outcome.function.name,
                    outcome.invocation_id,
                    binding.type,
                    binding.target(),
                    describe_value(value),
                )

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no invocation is running (True) or ``timeout`` passes (False)."""
        if not self._running and not self._background:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), max(timeout, 0.01))
        except asyncio.TimeoutError:
            return False
        return True

    @property
    def in_flight(self) -> int:
        return len(self._running)

    # ---- logs and worker output ----------------------------------------------------------------

    def on_log(self, slot: WorkerSlot, log: pb.RpcLog) -> None:
        """An RpcLog from a worker: a function log (named) or a worker System log."""
        spec = self._running.get(log.invocation_id) if log.invocation_id else None
        if log.log_category == _USER and log.category in PRINTED and log.invocation_id:
            self._printed(slot, spec, log)
            return
        if spec is not None and log.log_category == _USER:
            lowest = self._function_levels.get(spec.name)
            if lowest is None:
                lowest = self._function_levels[spec.name] = self.config.function_log_level(spec.name)
            if lowest <= log.level < 6:
                self.console.function_log(spec.name, log.invocation_id, log.level, log.message)
            return
        if not self._worker_level <= log.level < 6:
            return
        if log.level >= _LEVEL_ERROR and not log.invocation_id:  # load and index errors among them
            self.errors.offer(log.message, lambda: self.console.worker_line(slot.label, log.level, log.message))
        else:
            self.console.worker_line(slot.label, log.level, log.message)

    def _printed(self, slot: WorkerSlot, spec: FunctionSpec | None, log: pb.RpcLog) -> None:
        """A line the function print()ed, named by function and invocation; shown at every log
        level, as the process output it stands for (stderr graded as the host grades it)."""
        level = _LEVEL_INFO
        if log.category == "stderr":
            level = _LEVEL_WARNING if "warn" in log.message.lower() else _LEVEL_ERROR
        if spec is None:  # printed by a thread that outlived its invocation
            self.console.worker_line(slot.label, level, log.message)
        else:
            self.console.function_log(spec.name, log.invocation_id, level, log.message)

    def on_output(self, slot: WorkerSlot, line: OutputLine) -> None:
        """A line a worker process printed: system lines at the chosen verbosity; print() output
        and errors always (the host logs them too)."""
        if line.system:
            level = _LEVEL_ERROR if line.stream == "stderr" else _LEVEL_INFO
            if level >= self._worker_level:
                self.console.worker_line(slot.label, level, line.message)
            return
        if line.stream == "stdout":
            self.console.worker_line(slot.label, _LEVEL_INFO, line.text)
            return
        lowered = line.text.lower()
        level = _LEVEL_WARNING if "warn" in lowered else _LEVEL_ERROR
        self.console.worker_line(slot.label, level, line.text)

    def on_event(self, level: str, message: str) -> None:
        """Pool events (restarts, load problems)."""
        show = {"Error": self.console.error, "Warning": self.console.warning}.get(level)
        if show is None:
            self.console.info(message)
        else:
            self.errors.offer(message, lambda: show(message))
