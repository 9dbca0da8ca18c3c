"""Warn when an `async def` function blocks the event loop, naming the function and the line.

A daemon thread watches a heartbeat the loop updates; when the loop stalls it reads the loop
thread's stack to find which function is holding it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from types import CodeType, FrameType
from typing import Callable, Iterable

from .console import SYSTEM_LOGGER

log = logging.getLogger(SYSTEM_LOGGER)
_WORKER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: worker frames that hold the running invocation's `invocation_id` local (invocation.invoke_async)
_INVOKE_CODE_NAMES = frozenset({"invoke_async"})


class LoopWatchdog:
    """Checks the loop's heartbeat every `threshold / 4` seconds from a daemon thread."""

    def __init__(self, threshold: float, functions: Callable[[], Iterable[tuple[CodeType, str]]]) -> None:
        self.threshold = threshold
        self._functions = functions
        self._beat = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.warnings = 0

    def start(self) -> None:
        if self.threshold <= 0:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._schedule_beat()
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _schedule_beat(self) -> None:
        self._beat = time.monotonic()
        if not self._stop.is_set() and self._loop is not None and not self._loop.is_closed():
            self._loop.call_later(self.threshold / 4, self._schedule_beat)

    def _watch(self) -> None:
        period = self.threshold / 4
        reported_beat = None
        while not self._stop.wait(period):
            beat = self._beat
            stalled = time.monotonic() - beat
            if stalled < self.threshold:
                if reported_beat is not None and beat != reported_beat:
                    log.info("the event loop is responsive again")
                    reported_beat = None
                continue
            if reported_beat == beat:
                continue  # one warning per stall
            reported_beat = beat
            self.warnings += 1
            self._report(stalled)

    def _report(self, stalled: float) -> None:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return
        culprit, invocation_id, where = self._find_culprit(frame)
        what = f"function '{culprit}'" if culprit else "code running on the event loop"
        at = f" at {where}" if where else ""
        message = (
            f"{what} has blocked the event loop for {stalled:.1f} s{at}; every other invocation waits "
            f"meanwhile. In an async def function, await non-blocking calls (asyncio.sleep, aiohttp, ...) "
            f"or move blocking work off the loop with `await asyncio.to_thread(...)`"
        )
        record = log.makeRecord(log.name, logging.WARNING, __file__, 0, message, (), None)
        if invocation_id:
            record.invocation_id = invocation_id  # type: ignore[attr-defined]
        log.handle(record)

    def _find_culprit(self, frame: FrameType | None) -> tuple[str | None, str | None, str | None]:
        codes = dict(self._functions())
        culprit = where = invocation_id = None
        innermost_user: FrameType | None = None
        while frame is not None:
            code = frame.f_code
            if innermost_user is None and not code.co_filename.startswith(_WORKER_DIR) and "site-packages" not in code.co_filename and "/lib/python" not in code.co_filename:
                innermost_user = frame
            if culprit is None and code in codes:
                culprit = codes[code]
            if code.co_name in _INVOKE_CODE_NAMES and code.co_filename.startswith(_WORKER_DIR):
                invocation_id = frame.f_locals.get("invocation_id")
                break
            frame = frame.f_back
        if innermost_user is not None:
            where = f"{_short(innermost_user.f_code.co_filename)}:{innermost_user.f_lineno}"
        return culprit, invocation_id, where


def _short(path: str) -> str:
    """The path relative to the app folder (the working directory) when inside it."""
    cwd = os.getcwd() + os.sep
    return path[len(cwd):] if path.startswith(cwd) else path
