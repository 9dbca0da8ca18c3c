"""Report a blocked event loop or a stuck import while it lasts, and again every interval.

A daemon thread watches a heartbeat the loop updates, and the threads that import the app's code.
It reads the stuck thread's stack (quickfunc.stacks) to say what is happening: an `async def`
function holding the loop (name, invocation, line) or a module being imported (file, line).
While the loop is blocked, RpcLog cannot leave (the loop sends it), so reports go to stderr as
`LanguageWorkerConsoleLog` lines, which the host logs at once; when the loop frees up, one RpcLog
warning with the whole duration follows. Imports off the loop are reported through RpcLog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import console
from .stacks import Where, position, where_is

log = logging.getLogger(console.SYSTEM_LOGGER)

#: longest pause between two looks (seconds)
_MAX_TICK = 0.25
_ASYNC_ADVICE = (
    "In an async def function, await non-blocking calls (asyncio.sleep, aiohttp, ...) or move "
    "blocking work off the loop with `await asyncio.to_thread(...)`"
)
IMPORT_ADVICE = (
    "Code at the top level of a module runs while the module is imported: keep slow set-up "
    "(network calls, loading large files) out of it, or do it on first use"
)


@dataclass
class Watch:
    """A thread doing one job that may get stuck in the app's code (importing it, mostly)."""

    label: str
    thread_id: int
    started: float
    #: appended to each report ("the load fails after 50 s (...)")
    note: str = ""
    next_report: float = 0.0
    reports: int = 0


_watches: dict[int, Watch] = {}
_watches_lock = threading.Lock()


@contextlib.contextmanager
def watching(label: str, note: str = "") -> Iterator[Watch]:
    """Mark the calling thread as doing `label` (e.g. "loading function 'X'") until the block ends;
    a watchdog reports it once it has taken longer than the warning threshold."""
    watch = Watch(label, threading.get_ident(), time.monotonic(), note)
    with _watches_lock:
        _watches[id(watch)] = watch
    try:
        yield watch
    finally:
        with _watches_lock:
            _watches.pop(id(watch), None)
        if watch.reports:
            log.info("%s: finished after %s", label, _seconds(time.monotonic() - watch.started))


@dataclass
class _Stall:
    """The loop has not beaten since `beat`."""

    beat: float
    next_report: float
    where: Where | None = None
    function: str | None = None
    invocation_id: str | None = None
    reports: int = 0


@dataclass
class LoopWatchdog:
    """Checks the loop's heartbeat and the watched threads from a daemon thread."""

    #: seconds of blocking before the first report (0 = off)
    threshold: float
    #: seconds between reports while the block lasts
    interval: float
    #: (code object, name) of each loaded `async def` function, to name the one holding the loop
    functions: Callable[[], Iterable[tuple[Any, str]]] = lambda: ()
    warnings: int = 0
    _beat: float = field(default_factory=time.monotonic)
    _loop: asyncio.AbstractEventLoop | None = None
    _loop_thread: int = 0
    _stall: _Stall | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        if self.threshold <= 0:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._schedule_beat()
        threading.Thread(target=self._watch, name="quickfunc-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def _period(self) -> float:
        return min(self.threshold / 4, _MAX_TICK)

    def _schedule_beat(self) -> None:
        self._beat = time.monotonic()
        if not self._stop.is_set() and self._loop is not None and not self._loop.is_closed():
            self._loop.call_later(self._period, self._schedule_beat)

    def _watch(self) -> None:
        while not self._stop.wait(self._period):
            try:
                now = time.monotonic()
                self._check_loop(now)
                self._check_threads(now)
            except Exception:  # pragma: no cover - the watchdog must outlive its own bugs
                log.exception("the loop watchdog failed; it keeps watching")

    # ---- the event loop ------------------------------------------------------------------------

    def _check_loop(self, now: float) -> None:
        beat, stall = self._beat, self._stall
        if stall is not None and beat != stall.beat:  # the loop beat again: the block is over
            self._stall = None
            self._summary(stall, beat - stall.beat)
            return
        if now - beat < self.threshold:
            return
        if stall is None:
            stall = self._stall = _Stall(beat=beat, next_report=now)
            self.warnings += 1
        if now >= stall.next_report:
            where = where_is(self._loop_thread, dict(self.functions()))
            if where is not None and (where.at or stall.where is None):
                # (a sample taken as the block ends may catch the loop elsewhere: keep the last
                # one that shows the code holding it)
                stall.where = where
                stall.function = stall.function or where.function
                stall.invocation_id = stall.invocation_id or where.invocation_id
            stall.reports += 1
            stall.next_report = now + self.interval
            console.write_now("WARNING", self._loop_text(stall, now - beat, so_far=True))

    def _summary(self, stall: _Stall, seconds: float) -> None:
        record = log.makeRecord(
            log.name,
            logging.WARNING,
            __file__,
            0,
            self._loop_text(stall, seconds, so_far=False),
            (),
            None,
        )
        if stall.invocation_id:
            record.invocation_id = stall.invocation_id
        log.handle(record)

    @staticmethod
    def _loop_text(stall: _Stall, seconds: float, so_far: bool) -> str:
        where, duration = stall.where, _seconds(seconds)
        at = position(where, now=so_far)
        who = f"function '{stall.function}'" if stall.function else ""
        if who and stall.invocation_id:
            who += f" (invocation {stall.invocation_id})"
        importing = where.importing if where is not None else None
        if importing:
            in_function = f" in {who}" if who else ""
            if so_far:
                return (
                    f"importing {importing}{in_function} has blocked the event loop for {duration} "
                    f"so far{at}; the worker answers nothing meanwhile. {IMPORT_ADVICE}"
                )
            return (
                f"importing {importing}{in_function} blocked the event loop for {duration}{at}; "
                f"the event loop is responsive again. {IMPORT_ADVICE}"
            )
        who = who or "code running on the event loop"
        advice = f" {_ASYNC_ADVICE}" if stall.function else ""
        if so_far:
            return (
                f"{who} has blocked the event loop for {duration} so far{at}; every other "
                f"invocation waits meanwhile.{advice}"
            )
        return (
            f"{who} blocked the event loop for {duration}{at}; every other invocation waited "
            f"meanwhile, and the event loop is responsive again.{advice}"
        )

    # ---- threads importing the app's code --------------------------------------------------------

    def _check_threads(self, now: float) -> None:
        with _watches_lock:
            due = [w for w in _watches.values() if now - w.started >= self.threshold and now >= w.next_report]
        for watch in due:
            watch.reports += 1
            watch.next_report = now + self.interval
            text = thread_report(watch, where_is(watch.thread_id), now - watch.started)
            if self._stall is not None:  # RpcLog would wait for the loop: use the console
                console.write_now("WARNING", text)
            else:
                log.warning("%s", text)


def thread_report(watch: Watch, where: Where | None, seconds: float) -> str:
    """ "importing X (loading function 'F'): 3.0 s so far, now at utils.py:38; ..." """
    what = f"importing {where.importing} ({watch.label})" if where and where.importing else watch.label
    waiting = ""
    if where is not None and where.waiting_for:
        waiting = f", waiting for the module {where.waiting_for}, which another thread is importing"
    note = f"; {watch.note}" if watch.note else ""
    return f"{what}: {_seconds(seconds)} so far{position(where)}{waiting}{note}"


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
