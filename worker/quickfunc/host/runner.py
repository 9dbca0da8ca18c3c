"""``run``: the local host from start to exit code: start-up, serving until a signal (a second
one forces the stop), shutdown."""

from __future__ import annotations

import asyncio
import signal

from quickfunc.host.app import LocalHost
from quickfunc.host.config import HostConfig, HostOptions
from quickfunc.host.output import Console
from quickfunc.host.pool import StartupError

__all__ = ["run_host", "run"]


async def run_host(config: HostConfig, console: Console, options: HostOptions | None = None) -> int:
    """Start, serve until a signal, shut down; return the exit code."""
    loop = asyncio.get_running_loop()
    host = LocalHost(config, console, options)
    stop = asyncio.Event()
    signals_seen = 0

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            stop.set()
        else:
            loop.create_task(host.force_stop())

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass
    try:
        host.watch()
        starting = asyncio.ensure_future(host.startup())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await host.shutdown()
            return 0
        try:
            starting.result()
        except (StartupError, OSError, asyncio.TimeoutError) as exc:
            console.error(f"error: {exc}")
            stopping.cancel()
            await host.shutdown()
            return 1
        if host.reloader is not None:
            host.reloader.serving()
        await stopping
        await host.shutdown()
        return 0
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(config: HostConfig, options: HostOptions | None = None) -> int:
    console = Console(color=config.color)
    try:
        return asyncio.run(run_host(config, console, options))
    except KeyboardInterrupt:
        return 130
    finally:
        console.close()
