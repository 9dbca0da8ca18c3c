"""The worker's life: connect → handshake → serve → shut down, and the exit code it ends with."""
from __future__ import annotations

import asyncio
import logging
import os
import sys

from . import __version__, console, gc_pause, logs
from .cli import LaunchConfig
from .dispatcher import Dispatcher
from .handlers import metadata
from .protos import pb
from .settings import CONNECT_TIMEOUT, Settings
from .state import WorkerState
from .transport import HostUnreachable, Transport
from .watchdog import LoopWatchdog

log = logging.getLogger(console.SYSTEM_LOGGER)

EXIT_OK = 0
#: the stream ended while invocations were still running, or broke
EXIT_LOST = 1


#: how long tasks still running at exit (abandoned invocations) get to react to cancellation
LEFTOVER_TASKS_TIMEOUT = 1.0


def run(config: LaunchConfig) -> int:
    """Run the worker until the host ends the stream or terminates it; return the exit code.

    Not `asyncio.run`: on its way out it joins every thread of the loop's default executor, so
    an abandoned invocation waiting in `asyncio.to_thread(...)` would hold the exit until its
    blocking call returns. The process ends right after this (`os._exit`), threads and all.
    """
    loop = new_event_loop(Settings.from_env().event_loop)
    try:
        return loop.run_until_complete(_main(config))
    finally:
        try:
            _cancel_leftovers(loop, LEFTOVER_TASKS_TIMEOUT)
        finally:
            loop.close()


def new_event_loop(choice: str) -> asyncio.AbstractEventLoop:
    """uvloop when asked for or (with "auto") when installed; the standard loop otherwise.

    The benchmark shows uvloop cutting the worker's CPU per invocation by 10-20 %.
    """
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                log.warning("PYTHON_WORKER_EVENT_LOOP=uvloop, but uvloop is not installed; using asyncio")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=timeout))


async def _main(config: LaunchConfig) -> int:
    settings = Settings.from_env()
    transport = Transport(config.target, config.max_message_length)
    log.info("Starting quickfunc worker %s, connecting to %s", __version__, config.target)
    try:
        await transport.connect(CONNECT_TIMEOUT)
    except HostUnreachable as exc:
        log.error("cannot start: %s", exc)
        return EXIT_LOST
    state = WorkerState(
        send=transport.send, request_id=config.request_id, settings=settings,
        max_message_length=config.max_message_length,
    )
    handler = logs.RpcLogHandler(transport.send, config.request_id, config.max_message_length)
    logs.install(handler, settings.debug_logging)
    logs.propagate_into_threads()
    console.detach()
    transport.send(pb.StreamingMessage(request_id=config.request_id, start_stream=pb.StartStream(worker_id=config.worker_id)))
    _banner(settings)
    gc_pause.resume_after(gc_pause.AT_THE_LATEST)
    watchdog = LoopWatchdog(settings.blocked_loop_warning, settings.blocked_report_interval,
                            lambda: _async_codes(state))
    watchdog.start()
    try:
        return await _serve(transport, state, handler)
    finally:
        await metadata.shutdown_app(state)
        watchdog.stop()
        logs.uninstall(handler)
        console.reattach()
        state.executor.shutdown(wait=False, drop_queued=True)  # type: ignore[union-attr]


async def _serve(transport: Transport, state: WorkerState, handler: logs.RpcLogHandler) -> int:
    dispatcher = Dispatcher(state)
    reader = asyncio.ensure_future(_read(transport, dispatcher))
    terminate = asyncio.ensure_future(state.terminate_requested.wait())
    await asyncio.wait({reader, terminate}, return_when=asyncio.FIRST_COMPLETED)
    if terminate.done():
        code = await _drain(state)
        # close (flush) first: cancelling a pending read cancels the whole RPC, unsent answers too
        await transport.close()
        reader.cancel()
        return code
    terminate.cancel()
    # the stream is gone: from here on only the console (stderr for errors) reaches anyone
    logs.uninstall(handler)
    console.reattach()
    error = reader.exception()
    lost = len(state.in_flight)
    for task in list(state.in_flight.values()):
        task.cancel()
    if error is not None:
        log.error("the connection to the host broke (%s); %d invocation(s) were in flight", error, lost)
        return EXIT_LOST
    if lost:
        log.error("the host closed the stream with %d invocation(s) still running; their results are lost", lost)
        return EXIT_LOST
    log.info("the host closed the stream; exiting")
    return EXIT_OK


async def _read(transport: Transport, dispatcher: Dispatcher) -> None:
    dispatch, read = dispatcher.dispatch, transport.read
    while True:
        message = await read()
        if message is None:
            return
        dispatch(message)
        message = None  # the request lives on only in its invocation, not until the next read


async def _drain(state: WorkerState) -> int:
    """After WorkerTerminate: wait for in-flight invocations up to the grace period."""
    pending = state.in_flight_waitables()
    if pending:
        _, still = await asyncio.wait(pending, timeout=max(0.0, state.grace_period - 0.25))
        if still:
            log.warning("grace period over: abandoning %d invocation(s): %s", len(still),
                        ", ".join(pending[f] for f in still))
    log.info("worker terminating")
    return EXIT_OK


def _async_codes(state: WorkerState) -> list[tuple[object, str]]:
    """Code objects of the loaded async functions, for the watchdog to recognise them."""
    codes = []
    for info in state.registry.functions():
        code = getattr(info.func, "__code__", None)
        if info.is_async and code is not None:
            codes.append((code, info.name))
    return codes


def _banner(settings: Settings) -> None:
    log.info(
        "quickfunc worker %s on Python %s (%s), pid %d, event loop %s; sys.path starts %s",
        __version__, sys.version.split()[0], sys.executable, os.getpid(),
        type(asyncio.get_running_loop()).__module__.split(".")[0], sys.path[:3],
    )
    for problem in settings.warnings:
        log.warning("%s", problem)
