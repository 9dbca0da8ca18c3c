"""The worker's life: connect → handshake → serve → shut down, and the exit code it ends with."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from . import __version__, app_index, console, gc_pause, logs, print_capture, replies, shutdown
from .dispatcher import Dispatcher
from .launch import LaunchConfig
from .protos import pb
from .settings import CONNECT_TIMEOUT, Settings
from .state import WorkerState
from .transport import HostUnreachable, Transport, UndecodableMessage
from .watchdog import LoopWatchdog

log = logging.getLogger(console.SYSTEM_LOGGER)

EXIT_OK = 0
#: the stream ended while invocations were still running, or broke
EXIT_LOST = 1
#: (2: the command line cannot be used, see cli.py)
#: the host sent a message the worker cannot decode
EXIT_UNDECODABLE = 3
#: no WorkerInitRequest came within PYTHON_WORKER_INIT_TIMEOUT_SECONDS
EXIT_NO_INIT = 4
#: the shortest time the stream gets to flush the last answers, whatever is left of the grace period
MIN_FLUSH = 0.5


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
    except KeyboardInterrupt as exc:  # raised by user code (its request was answered Failure)
        _die_of_interrupt(exc)
        raise
    finally:
        try:
            _cancel_leftovers(loop, LEFTOVER_TASKS_TIMEOUT)
        finally:
            loop.close()


def _die_of_interrupt(exc: KeyboardInterrupt) -> None:
    """End the process as an unhandled KeyboardInterrupt does (killed by SIGINT), saying why in
    one line instead of a traceback of the worker's own frames."""
    import signal

    console.reattach()
    log.error(
        "stopping: user code raised KeyboardInterrupt (%s); like Python, the worker ends killed by SIGINT",
        exc or "no message",
    )
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


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
    transport.on_oversize = replies.oversize  # a reply over the size limit: a Failure of its kind
    log.info("Starting quickfunc worker %s, connecting to %s", __version__, config.target)
    try:
        await transport.connect(CONNECT_TIMEOUT)
    except HostUnreachable as exc:
        log.error("cannot start: %s", exc)
        return EXIT_LOST
    state = WorkerState(
        send=transport.send,
        request_id=config.request_id,
        settings=settings,
        max_message_length=config.max_message_length,
        host_address=config.host,
    )
    handler = logs.RpcLogHandler(transport.send, config.request_id, config.max_message_length)
    logs.install(handler, settings.debug_logging)
    logs.propagate_into_threads()
    console.detach()
    transport.send(
        pb.StreamingMessage(request_id=config.request_id, start_stream=pb.StartStream(worker_id=config.worker_id))
    )
    _banner(settings)
    gc_pause.resume_after(gc_pause.AT_THE_LATEST)
    watchdog = LoopWatchdog(
        settings.blocked_loop_warning, settings.blocked_report_interval, lambda: _async_codes(state)
    )
    watchdog.start()
    try:
        return await _serve(transport, state, handler)
    finally:
        await app_index.shutdown_app(state)
        if state.http_stream is not None:
            await state.http_stream.stop()
        watchdog.stop()
        print_capture.uninstall()
        logs.uninstall(handler)
        console.reattach()
        state.executor.shutdown(wait=False, drop_queued=True)


async def _serve(transport: Transport, state: WorkerState, handler: logs.RpcLogHandler) -> int:
    dispatcher = Dispatcher(state)
    reader = asyncio.ensure_future(_read(transport, dispatcher))
    stop = asyncio.ensure_future(state.shutdown_requested.wait())
    init_watch = _watch_init(state, transport.target)
    sigterm = _catch_sigterm(state)
    try:
        await asyncio.wait({reader, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not stop.done():
            error = reader.exception()
            if not isinstance(error, UndecodableMessage):
                stop.cancel()
                return _stream_ended(state, handler, error)
            shutdown.request(
                state,
                "the host sent a message it cannot decode",
                state.settings.shutdown_grace,
                exit_code=EXIT_UNDECODABLE,
                error=f"{error}; the worker stops (exit code {EXIT_UNDECODABLE})",
            )
        return await _stop(transport, state, handler, reader)
    finally:
        if init_watch is not None:
            init_watch.cancel()
        if sigterm:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)


async def _stop(transport: Transport, state: WorkerState, handler: logs.RpcLogHandler, reader: asyncio.Future) -> int:
    """The drain (see shutdown.py), then every answer and log out before the stream closes."""
    request: shutdown.Shutdown = state.shutdown
    await shutdown.drain(state)
    log.info("worker stopping (%s)", request.cause)
    loop = asyncio.get_running_loop()
    # close (flush) first: cancelling a pending read cancels the whole RPC, unsent answers too
    await transport.close(flush_timeout=max(MIN_FLUSH, request.deadline - loop.time()))
    reader.cancel()
    if reader.done() and not reader.cancelled():
        reader.exception()  # the stream may have broken during the drain: nothing left to say
    if request.error:
        logs.uninstall(handler)
        console.reattach()
        log.error("%s", request.error)
    return request.exit_code


def _stream_ended(state: WorkerState, handler: logs.RpcLogHandler, error: BaseException | None) -> int:
    """The host closed the stream, or it broke: nothing more can be answered."""
    # from here on only the console (stderr for errors) reaches anyone
    print_capture.uninstall()
    logs.uninstall(handler)
    console.reattach()
    lost = len(state.in_flight)
    for task in list(state.in_flight.values()):
        task.cancel()
    if error is not None:
        log.error("the connection to the host broke (%s); %d invocation(s) were in flight", error, lost)
        return EXIT_LOST
    if lost:
        log.error(
            "the host closed the stream with %d invocation(s) still running; their results are lost",
            lost,
        )
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


def _watch_init(state: WorkerState, target: str) -> asyncio.TimerHandle | None:
    """Stop the worker if the host's WorkerInitRequest does not come in time."""
    timeout = state.settings.init_timeout
    if not timeout:
        return None

    def overdue() -> None:
        if state.init_received or state.shutdown is not None:
            return
        shutdown.request(
            state,
            "no WorkerInitRequest from the host",
            0.0,
            exit_code=EXIT_NO_INIT,
            error=f"no WorkerInitRequest arrived within {shutdown.seconds(timeout)} s of "
            f"opening the stream to the host at {target} "
            f"(PYTHON_WORKER_INIT_TIMEOUT_SECONDS); the worker cannot serve without it "
            f"and stops (exit code {EXIT_NO_INIT})",
        )

    return asyncio.get_running_loop().call_later(timeout, overdue)


def _catch_sigterm(state: WorkerState) -> bool:
    """SIGTERM starts the drain with PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS; a second one ends it."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, _on_sigterm, state)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows; not the main thread
        return False
    return True


def _on_sigterm(state: WorkerState) -> None:
    if state.shutdown is None:
        grace = state.settings.shutdown_grace
        log.info(
            "Received SIGTERM: finishing %d in-flight invocation(s) within %s s (PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS)",
            len(state.in_flight),
            shutdown.seconds(grace),
        )
        shutdown.request(state, "SIGTERM", grace)
    else:
        log.warning(
            "Received SIGTERM again: answering the %d unfinished invocation(s) now",
            len(state.in_flight),
        )
        shutdown.request(state, "SIGTERM", 0.0)


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
        __version__,
        sys.version.split()[0],
        sys.executable,
        os.getpid(),
        type(asyncio.get_running_loop()).__module__.split(".")[0],
        sys.path[:3],
    )
    for problem in settings.warnings:
        log.warning("%s", problem)
