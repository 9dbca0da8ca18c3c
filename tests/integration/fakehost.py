"""Test helpers: run a worker process against an in-test gRPC host and talk to it.

Built on ``quickfunc.host`` only, so it drives any worker that speaks the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.process import OutputLine, WorkerCommand, WorkerProcess
from quickfunc.host.request_builders import build_invocation
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.startup import wait_connected
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb
from tests.helpers import REPO_ROOT, checkout_first

FLOOR_WORKER = os.path.join(REPO_ROOT, "scripts", "floor_worker.py")


@dataclass
class FakeHost:
    """A connected worker: its channel, its process and the server they share."""

    channel: WorkerChannel
    process: WorkerProcess
    server: RpcServer
    app_dir: str
    init_response: pb.WorkerInitResponse | None = None

    async def load_v1_app(
        self,
        timeout: float = 30.0,
    ) -> dict[str, tuple[str, pb.FunctionLoadResponse]]:
        """Load every function.json folder of the app: {name: (function_id, response)}."""
        found = discover_v1_functions(self.app_dir)
        responses = await asyncio.wait_for(
            asyncio.gather(*(self.channel.load(fid, md, timeout=None) for fid, md in found)), timeout
        )
        return {md.name: (fid, resp) for (fid, md), resp in zip(found, responses, strict=True)}

    async def invoke(
        self,
        function_id: str,
        inputs: Mapping[str, pb.TypedData] | None = None,
        trigger_metadata: Mapping[str, pb.TypedData] | None = None,
        invocation_id: str | None = None,
        timeout: float = 30.0,
    ) -> pb.InvocationResponse:
        """Invoke a loaded function with the given input bindings."""
        request = build_invocation(function_id, inputs, trigger_metadata, invocation_id)
        return await self.channel.invoke(request, timeout=timeout)

    @property
    def output(self) -> list[OutputLine]:
        """Lines the worker printed so far (the last few hundred)."""
        return list(self.process.output)


def _command(argv_module: str) -> WorkerCommand:
    if argv_module.endswith(".py") or os.sep in argv_module:
        return WorkerCommand(module=None, script=argv_module)
    return WorkerCommand(module=argv_module)


def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """This checkout first on PYTHONPATH (the worker runs with cwd = app dir), unbuffered output."""
    merged = dict(os.environ)
    merged["PYTHONPATH"] = checkout_first(merged.get("PYTHONPATH", ""))
    merged.setdefault("PYTHONUNBUFFERED", "1")
    merged.update(env or {})
    return merged


async def _shutdown(
    host_channel: WorkerChannel | None, process: WorkerProcess, server: RpcServer, exit_timeout: float
) -> None:
    if host_channel is not None:
        await host_channel.close(timeout=exit_timeout)
    if process.pid is not None:
        try:
            await process.wait(exit_timeout)
        except asyncio.TimeoutError:
            await process.kill()
            await process.wait(exit_timeout)
    await server.stop(0)


@contextlib.asynccontextmanager
async def start_worker(
    app_dir: str,
    env: Mapping[str, str] | None = None,
    argv_module: str = "quickfunc",
    init: bool = True,
    *,
    command: WorkerCommand | None = None,
    capabilities: Mapping[str, str] | None = None,
    on_output: Callable[[OutputLine], object] | None = None,
    connect_timeout: float = 30.0,
    init_timeout: float = 30.0,
    exit_timeout: float = 10.0,
    server: RpcServer | None = None,
) -> AsyncIterator[FakeHost]:
    """Serve on 127.0.0.1:0, launch the worker, wait for StartStream, optionally init.

    ``argv_module`` is a module (``python -m``) or a script path; ``server`` another server with
    RpcServer's API (tests/integration/grpcio_host.py). On exit: close the stream, wait for the
    process (kill after ``exit_timeout``), stop the server.
    """
    app_dir = os.path.abspath(app_dir)
    server = server or RpcServer(keep_logs=True)
    port = await server.start("127.0.0.1", 0)
    process = WorkerProcess(command or _command(argv_module), on_output=on_output)
    channel: WorkerChannel | None = None
    try:
        server.expect(process.worker_id)
        await process.start("127.0.0.1", port, app_dir, _environment(env), inherit_env=False)
        channel = await wait_connected(server, process, connect_timeout)
        host = FakeHost(channel, process, server, app_dir)
        if init:
            host.init_response = await channel.init(
                app_dir, process.command.worker_directory(), capabilities=capabilities, timeout=init_timeout
            )
        yield host
    finally:
        await _shutdown(channel, process, server, exit_timeout)
