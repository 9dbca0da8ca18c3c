"""Wait until a launched worker process has connected its stream, or say why it did not."""

from __future__ import annotations

import asyncio
import signal

from quickfunc.host.process import WorkerProcess
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.worker_channel import WorkerChannel


class WorkerDidNotConnect(RuntimeError):
    """The worker process exited, or stayed silent, before sending StartStream."""


def describe_exit(code: int | None) -> str:
    """`exited with code 3`, `was killed by SIGKILL`, ... for a process return code."""
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


async def wait_connected(
    server: RpcServer, process: WorkerProcess, timeout: float, tail_lines: int = 15
) -> WorkerChannel:
    """The process's channel once its StartStream arrived; WorkerDidNotConnect with its last
    output if it exits first or nothing arrives within `timeout` seconds."""
    connected = asyncio.ensure_future(server.wait_for_worker(process.worker_id, timeout))
    exited = asyncio.ensure_future(process.wait())
    try:
        await asyncio.wait({connected, exited}, timeout=timeout + 1, return_when=asyncio.FIRST_COMPLETED)
        if connected.done() and not connected.exception():
            return connected.result()
        tail = process.tail(tail_lines)
        if exited.done():
            raise WorkerDidNotConnect(
                f"the worker process (pid {process.pid}) {describe_exit(exited.result())} before "
                f"connecting. Its last output:\n{tail}"
            )
        raise WorkerDidNotConnect(
            f"the worker process (pid {process.pid}) did not connect within {timeout:g}s. Its last output:\n{tail}"
        )
    finally:
        for task in (connected, exited):
            task.cancel()
        await asyncio.gather(connected, exited, return_exceptions=True)
