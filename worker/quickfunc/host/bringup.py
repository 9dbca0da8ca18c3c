"""Bring one worker process up as the host does: launch, StartStream, init, index (first worker
only) and load; a worker that dies on the way is described by what it was doing."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

from quickfunc.host.catalog import (
    Catalog,
    FunctionSpec,
    catalog_from_folders,
    catalog_from_metadata,
    load_request,
    only_functions,
)
from quickfunc.host.config import HostConfig
from quickfunc.host.process import OutputLine, WorkerCommand, WorkerProcess
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.slots import WorkerSlot
from quickfunc.host.startup import WorkerDidNotConnect, describe_exit, wait_connected
from quickfunc.host.worker_channel import DEFAULT_HOST_CAPABILITIES, WorkerChannel
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import pb

__all__ = ["StartupError", "DiedStarting", "Launcher"]

_SUCCESS = pb.StatusResult.Success
#: the host's default for metadata and load responses
_INDEX_TIMEOUT = 60.0
#: what the Functions host sends, plus asking for print() inside an invocation as RpcLogs tagged
#: with it (categories stdout/stderr; invoker.PRINTED): the Functions host never asks for that
HOST_CAPABILITIES = {**DEFAULT_HOST_CAPABILITIES, "QuickfuncInvocationOutput": "true"}
_SCRIPT_FILE_SETTING = "PYTHON_SCRIPT_FILE_NAME"
_DEFAULT_SCRIPT_FILE = "function_app.py"


class StartupError(Exception):
    """A worker could not be started, initialised or could not index the app."""

    def __init__(self, message: str, worker_message: str = "") -> None:
        super().__init__(message)
        #: the worker's own words for it (what its log line said), when it gave them
        self.worker_message = worker_message


class DiedStarting(Exception):
    """The worker process died while indexing or loading the app (its code did it)."""

    def __init__(
        self,
        description: str,
        how: str,
        function: FunctionSpec | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        #: how the process ended ("exited with code 3")
        self.how = how
        #: the function being loaded, when it alone was in flight
        self.function = function


class Launcher:
    """Starts worker processes for the slots of one pool and loads the app into them."""

    def __init__(
        self,
        config: HostConfig,
        server: RpcServer,
        on_output: Callable[[WorkerSlot, OutputLine], None],
        on_log: Callable[[WorkerSlot, pb.RpcLog], None],
        on_event: Callable[[str, str], None],
    ) -> None:
        self.config = config
        self.server = server
        self.on_output = on_output
        self.on_log = on_log
        self.on_event = on_event
        self.port = 0
        #: no limit while debugging: a breakpoint in the app's module code holds indexing or loading
        self.index_timeout = None if config.dev.debug else _INDEX_TIMEOUT

    # ---- process and stream --------------------------------------------------------------------

    async def launch(self, slot: WorkerSlot) -> None:
        """Start a process for the slot, wait for its StartStream, send WorkerInitRequest."""
        config = self.config
        process = WorkerProcess(
            WorkerCommand(executable=config.python),
            on_output=lambda line: self.on_output(slot, line),
        )
        slot.process, slot.channel, slot.kill_reason = process, None, ""
        slot.death = asyncio.get_running_loop().create_future()
        self.server.expect(process.worker_id)
        try:
            await process.start(
                "127.0.0.1",
                self.port,
                config.app_dir,
                config.dev.worker_env(config.worker_env, slot.index),
                inherit_env=False,
                own_process_group=True,
            )
        except OSError as exc:
            raise StartupError(f"could not start the worker with {config.python}: {exc.strerror or exc}") from None
        try:
            channel = await self._connect(process, config.worker_start_timeout)
            channel.on_log = lambda log: self.on_log(slot, log)
            init = await channel.init(
                config.app_dir,
                process.command.worker_directory(),
                capabilities=HOST_CAPABILITIES,
                timeout=config.worker_start_timeout,
            )
        except BaseException:
            await discard(process)
            raise
        if init.result.status != _SUCCESS:
            await discard(process)
            raise StartupError(
                f"{slot.label} rejected WorkerInitRequest: {init.result.exception.message or 'no reason given'}"
            )
        slot.channel = channel
        slot.capabilities = dict(init.capabilities)
        slot.runtime_version = init.worker_metadata.runtime_version

    async def _connect(self, process: WorkerProcess, timeout: float) -> WorkerChannel:
        """The worker's channel, or a StartupError with its output if it exits or stays silent."""
        try:
            return await wait_connected(self.server, process, timeout)
        except WorkerDidNotConnect as exc:
            raise StartupError(str(exc)) from None

    async def died(self, slot: WorkerSlot, doing: str, function: FunctionSpec | None = None) -> DiedStarting:
        """The stream ended while the worker was ``doing`` something: how its process ended."""
        process = slot.process
        code = None
        if process is not None and process.pid is not None:
            try:
                code = await process.wait(5.0)
            except asyncio.TimeoutError:  # the stream ended but the process lingers
                await discard(process)
        how = describe_exit(code)
        if code is not None and code == -signal.SIGINT:
            how += " (what an unhandled KeyboardInterrupt does)"
        description = f"worker process {slot.index + 1} (pid {slot.pid}) {how} while {doing}"
        return DiedStarting(description, how, function)

    # ---- index and load ------------------------------------------------------------------------

    def app_file(self) -> str:
        """What indexing a v2 app imports, for messages."""
        name = self.config.settings.get(_SCRIPT_FILE_SETTING) or _DEFAULT_SCRIPT_FILE
        if os.path.isfile(os.path.join(self.config.app_dir, name)):
            return f"importing {name}"
        return "reading the app's functions"

    async def index(self, slot: WorkerSlot) -> Catalog:
        """FunctionsMetadataRequest to the first worker only (protocol §5.1)."""
        assert slot.channel is not None
        config = self.config
        try:
            response = await slot.channel.functions_metadata(config.app_dir, timeout=self.index_timeout)
        except WorkerGone:
            raise await self.died(slot, f"indexing the app ({self.app_file()})") from None
        if response.result.status != _SUCCESS:
            exc = response.result.exception
            detail = exc.message or "no reason given"
            if exc.stack_trace:
                detail += "\n" + exc.stack_trace.rstrip()
            raise StartupError(f"the worker could not index the app in {config.app_dir}: {detail}", exc.message)
        if response.use_default_metadata_indexing:
            catalog = catalog_from_folders(config.app_dir, config.disabled)
        else:
            catalog = catalog_from_metadata(response, config.disabled)
        try:
            return only_functions(catalog, config.functions)
        except ValueError as exc:
            raise StartupError(str(exc)) from None

    async def load(self, slot: WorkerSlot, catalog: Catalog, record: bool = False) -> None:
        """Load every runnable function; ``record`` keeps load errors in the catalog.

        A v1 function whose import kills the worker is marked as failed, and the worker is
        started again without it, so the other functions still load. A v2 app is one module:
        its death is the app's (DiedStarting)."""
        one_by_one = False
        for _ in range(len(catalog.functions) + 2):  # each pass settles one function
            try:
                await self._load_once(slot, catalog, record, one_by_one)
                return
            except DiedStarting as died:
                if catalog.programming_model != "v1":
                    raise
                if died.function is None:  # find which function did it
                    one_by_one = True
                    self.on_event(
                        "Warning",
                        f"{died.description}; loading the functions one at a time to find which one",
                    )
                else:
                    self._leave_out(died)
            await self.launch(slot)
        raise StartupError(f"{slot.label} kept dying while loading the app's functions")

    def _leave_out(self, died: DiedStarting) -> None:
        spec = died.function
        if spec is None or spec.error:
            return
        spec.error = f"the worker process {died.how} while loading it; it is left out so that the other functions run"
        self.on_event(
            "Error",
            f"{died.description}; {spec.name} is left out and the worker is started again without it",
        )

    async def _load_once(self, slot: WorkerSlot, catalog: Catalog, record: bool, one_by_one: bool) -> None:
        channel = slot.channel
        assert channel is not None
        specs = catalog.loadable()
        if not specs:
            return
        current: FunctionSpec | None = specs[0] if len(specs) == 1 else None
        try:
            if one_by_one:
                responses = []
                for spec in specs:
                    current = spec
                    responses.append(await channel.load(spec.function_id, spec.metadata, timeout=self.index_timeout))
            elif slot.capabilities.get("SupportsLoadResponseCollection"):
                responses = await channel.load_collection([load_request(s) for s in specs], timeout=self.index_timeout)
            else:
                responses = await asyncio.gather(
                    *(channel.load(s.function_id, s.metadata, timeout=self.index_timeout) for s in specs)
                )
        except WorkerGone:
            raise await self.died(slot, self._loading(catalog, current), current) from None
        for spec, response in zip(specs, responses, strict=False):
            if response.result.status == _SUCCESS:
                continue
            message = response.result.exception.message or "the worker could not load it"
            if record:
                spec.error = message
            elif spec.runnable:
                self.on_event("Warning", f"{slot.label} could not load {spec.name}: {message}")

    def _loading(self, catalog: Catalog, spec: FunctionSpec | None) -> str:
        if catalog.programming_model != "v1":
            return f"loading the app's functions ({self.app_file()})"
        if spec is None:
            return "loading the app's functions"
        script = spec.metadata.script_file
        if script and os.path.isabs(script):
            script = os.path.relpath(script, self.config.app_dir)
        return f"loading function {spec.name}" + (f" ({script})" if script else "")


async def discard(process: WorkerProcess) -> None:
    """Kill a process that is of no more use and reap it (bounded)."""
    if process.pid is not None and process.returncode is None:
        await process.kill()
        try:
            await process.wait(5)
        except asyncio.TimeoutError:
            pass
