"""Run function loads and the v2 indexing off the event loop, so that a module stuck at import
holds up neither the loop nor the other functions; each job is answered once, by its deadline.

Jobs run one at a time, in the order they came (as on the loop before); when one has run for
`HANDOFF` seconds, the next ones go on in another thread. A thread stuck in an import holds only
that module's import lock (Python 3 locks per module), so the others import meanwhile. At the
deadline the job is answered as failed with where it is stuck; the thread itself cannot be stopped
and is left to finish (or not) on its own.

The threads run with the worker's loop as their running loop, as the import would see it on the
loop: module-level code that takes the running loop (`aiohttp.ClientSession()`, ...) still works.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .console import SYSTEM_LOGGER
from .stacks import Where, where_is
from .watchdog import IMPORT_ADVICE, watching

log = logging.getLogger(SYSTEM_LOGGER)

#: a job running this long lets the next ones start in another thread (seconds)
HANDOFF = 1.0


@dataclass(eq=False)
class LoadJob:
    """One load (or the indexing): `work` runs in a thread; then `done` runs on the loop with its
    result or the exception it raised, or, if the deadline comes first, `expired` runs instead
    with where the thread is and how long it has run."""

    label: str
    work: Callable[[], Any]
    done: Callable[[Any, BaseException | None], None]
    expired: Callable[[Where | None, float], None]
    #: seconds from submission to the deadline (0 = none)
    timeout: float = 0.0
    #: appended to the watchdog's reports while it runs
    note: str = ""
    submitted: float = field(default_factory=time.monotonic)
    thread_id: int = 0
    started: float = 0.0
    answered: bool = False
    timer: asyncio.TimerHandle | None = None


class _HasLoader(Protocol):
    loader: LoadRunner | None


def runner_for(state: _HasLoader) -> LoadRunner:
    """The worker's load runner, made on first use (on the loop thread)."""
    if state.loader is None:
        state.loader = LoadRunner(asyncio.get_running_loop())
    return state.loader


@dataclass(eq=False)
class _Runner:
    job: LoadJob | None = None


class LoadRunner:
    """The worker's load queue; `submit` on the loop thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: collections.deque[LoadJob] = collections.deque()
        self._runners: set[_Runner] = set()
        self._lock = threading.Lock()
        self._kicker: asyncio.TimerHandle | None = None

    def submit(self, job: LoadJob) -> None:
        if job.timeout > 0:
            job.timer = self._loop.call_later(job.timeout, self._expire, job)
        with self._lock:
            self._queue.append(job)
        self._kick()

    # ---- threads ---------------------------------------------------------------------------------

    def _kick(self) -> None:
        """Start a thread unless one is free to take the next job; look again while jobs wait."""
        if self._kicker is not None:
            self._kicker.cancel()
            self._kicker = None
        now = time.monotonic()
        with self._lock:
            if not self._queue:
                return
            if not any(r.job is None or now - r.job.started < HANDOFF for r in self._runners):
                runner = _Runner()
                self._runners.add(runner)
                threading.Thread(target=self._run, args=(runner,), name="quickfunc-load", daemon=True).start()
        self._kicker = self._loop.call_later(HANDOFF / 2, self._kick)

    def _run(self, runner: _Runner) -> None:
        asyncio.events._set_running_loop(self._loop)
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        self._runners.discard(runner)
                        return
                    job = runner.job = self._queue.popleft()
                    job.thread_id, job.started = threading.get_ident(), time.monotonic()
                result, error = self._execute(job)
                with self._lock:
                    runner.job = None
                try:
                    self._loop.call_soon_threadsafe(self._finish, job, result, error)
                except RuntimeError:  # the loop is closed: the worker is on its way out
                    return
        finally:
            asyncio.events._set_running_loop(None)

    @staticmethod
    def _execute(job: LoadJob) -> tuple[Any, BaseException | None]:
        with watching(job.label, job.note) as watch:
            try:
                return job.work(), None
            except BaseException as exc:  # answered as a failure; SystemExit must not just end the thread
                return None, exc
            finally:
                if job.answered:  # too late: `_finish` says so, the watch need not say it finished
                    watch.reports = 0

    # ---- answers, on the loop --------------------------------------------------------------------

    def _finish(self, job: LoadJob, result: Any, error: BaseException | None) -> None:
        if job.answered:
            log.warning(
                "%s finished after %.1f s, but it had already been answered as failed at its "
                "deadline; restart the app to load it",
                job.label,
                time.monotonic() - job.submitted,
            )
            return
        job.answered = True
        if job.timer is not None:
            job.timer.cancel()
        if isinstance(error, KeyboardInterrupt):
            # the user's module interrupted itself: the worker ends as Python would (lifecycle),
            # as it does when that happens on the loop
            raise error
        try:
            job.done(result, error)
        except Exception:  # a bug of ours; the job's own failure answer is its `done`'s business
            log.exception("internal error while answering %s", job.label)

    def _expire(self, job: LoadJob) -> None:
        if job.answered:
            return
        job.answered = True
        where = where_is(job.thread_id) if job.thread_id else None
        try:
            job.expired(where, time.monotonic() - job.submitted)
        except Exception:
            log.exception("internal error while answering %s", job.label)


def timed_out(where: Where | None, timeout: float) -> str:
    """Why a load or the indexing failed at its deadline, and where the import is stuck."""
    if where is None:
        return f"it did not finish within {timeout:g} s"
    what = f"importing {where.importing}" if where.importing else "loading"
    running = f"it is still running at {where.at}" if where.at else "it is still running"
    inside = f" (in {where.inside})" if where.at and where.inside else ""
    waiting = f", waiting for the module {where.waiting_for}" if where.waiting_for else ""
    return (
        f"{what} did not finish within {timeout:g} s; {running}{inside}{waiting}. {IMPORT_ADVICE}. "
        "If the import really takes this long, raise PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS "
        "(0 = no limit)"
    )
