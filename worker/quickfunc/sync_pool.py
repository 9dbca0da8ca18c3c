"""The threads that run plain `def` functions: a small pool that starts a thread only when none
is idle, up to PYTHON_THREADPOOL_THREAD_COUNT, and replaces threads stuck in cancelled calls.

`ThreadPoolExecutor` on Python 3.12 counts a thread as idle only when it finds the job queue
empty, so under steady load it starts a new thread for nearly every job, up to the host's
default of 1000. This pool keeps an exact idle count instead.

A thread cannot be stopped from outside. When the caller gives up on a job (its invocation was
cancelled) while the job still runs, the pool "abandons" the thread: it stops counting it as
capacity and starts a replacement when work waits, for up to `ABANDONED_ALLOWANCE` such threads
beyond its size. A thread that comes back later rejoins the pool, or ends if the pool is full.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from .console import SYSTEM_LOGGER

log = logging.getLogger(SYSTEM_LOGGER)

#: how many abandoned threads the pool replaces beyond its size before it runs short
ABANDONED_ALLOWANCE = 32


def default_size() -> int:
    """`ThreadPoolExecutor`'s own default, used when the setting is absent."""
    return min(32, (os.cpu_count() or 1) + 4)


class SyncPool:
    """Runs callables on pool threads, fire and forget: a job reports its own outcome.

    No Future per call (an executor's costs a lock, a condition and a few microseconds); a job
    that raises is logged and its thread lives on.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        name: str = "sync-function",
        abandoned_allowance: int = ABANDONED_ALLOWANCE,
    ) -> None:
        self.max_workers = max_workers or default_size()
        self.abandoned_allowance = abandoned_allowance
        self._name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a job that no queued job has claimed
        self._unclaimed = 0  # queued jobs no thread is reserved for (all were busy)
        self._threads: list[threading.Thread] = []
        self._started = 0
        #: job id → (thread, label) while the job runs
        self._running: dict[Hashable, tuple[threading.Thread, str]] = {}
        #: abandoned thread → (job id, label, when it was abandoned)
        self._abandoned: dict[threading.Thread, tuple[Hashable, str, float]] = {}
        self._closed = False

    def run(self, fn: Callable[..., Any], /, *args: Any, job_id: Hashable = None, label: str = "") -> None:
        """Run ``fn(*args)`` on an idle thread, a new one (up to the size), or the next free one.

        ``job_id`` (with a ``label`` for logs) lets the caller `abandon` the job later.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the sync-function pool is shut down")
            if self._idle:
                self._idle -= 1  # an idle thread will take this job
            elif self._may_start():
                self._start_thread()
            else:
                self._unclaimed += 1
        self._jobs.put((fn, args, job_id, label))

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    @property
    def abandoned_count(self) -> int:
        return len(self._abandoned)

    def abandon(self, job_id: Hashable, reason: str) -> bool:
        """Stop counting on the thread that runs `job_id`; False if the job is not running.

        If jobs wait, a replacement thread starts at once (within the allowance). Logs a warning
        naming the job and the thread.
        """
        with self._lock:
            entry = self._running.get(job_id)
            if entry is None or entry[0] in self._abandoned:
                return False
            thread, label = entry
            self._abandoned[thread] = (job_id, label, time.monotonic())
            if self._unclaimed and self._may_start():
                self._unclaimed -= 1
                self._start_thread()
            abandoned, serving = len(self._abandoned), len(self._threads) - len(self._abandoned)
            waiting = self._unclaimed
        self._warn_abandoned(thread, job_id, label, reason, abandoned, serving, waiting)
        return True

    def shutdown(self, wait: bool = False, drop_queued: bool = False) -> int:
        """Stop taking jobs; queued jobs are dropped if asked (how many is returned), running
        ones finish on their own."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        dropped = 0
        if drop_queued:
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                dropped += job is not None
        for _ in threads:
            self._jobs.put(None)
        if wait:
            for thread in threads:
                thread.join()
        return dropped

    def _may_start(self) -> bool:
        """Below the size once abandoned threads are left out, and within the allowance."""
        total = len(self._threads)
        return (
            not self._closed
            and total - len(self._abandoned) < self.max_workers
            and total < self.max_workers + self.abandoned_allowance
        )

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._serve, name=f"{self._name}_{self._started}", daemon=True)
        self._started += 1
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        me = threading.current_thread()
        jobs, lock, running, abandoned = self._jobs, self._lock, self._running, self._abandoned
        while True:
            job = jobs.get()
            if job is None:
                return
            fn, args, job_id, label = job
            del job
            if job_id is not None:
                # before the job can see it was cancelled, so `abandon` always finds it
                running[job_id] = (me, label)
            try:
                fn(*args)
            except BaseException:  # jobs answer for themselves; this is a bug of the caller's
                log.exception("a job of the %s pool raised", self._name)
            del fn, args
            with lock:
                if job_id is not None:
                    running.pop(job_id, None)
                came_back = abandoned.pop(me, None) if abandoned else None
                retire = came_back is not None and len(self._threads) - len(abandoned) > self.max_workers
                if retire:
                    self._threads.remove(me)
                elif self._unclaimed:
                    self._unclaimed -= 1  # this thread takes a job that found every thread busy
                else:
                    self._idle += 1
            if came_back is not None:
                self._note_return(me, came_back, retire)
                if retire:
                    return

    def _warn_abandoned(
        self,
        thread: threading.Thread,
        job_id: Hashable,
        label: str,
        reason: str,
        abandoned: int,
        serving: int,
        waiting: int,
    ) -> None:
        if abandoned <= self.abandoned_allowance:
            outlook = (
                f"Abandoned threads: {abandoned}, of up to {self.abandoned_allowance} the pool replaces, "
                f"so new calls still get its {self.max_workers} thread(s)"
            )
        else:
            outlook = (
                f"Abandoned threads: {abandoned}, more than the {self.abandoned_allowance} the pool "
                f"replaces: only {serving} of its {self.max_workers} thread(s) serve new calls"
            )
            if serving == 0:
                outlook += f"; they wait until an abandoned thread returns ({waiting} waiting now)"
        log.warning(
            "%s is still running in thread %s after it was %s; the %s pool gave up on that thread "
            "and will drop its result. %s",
            _described(job_id, label),
            thread.name,
            reason,
            self._name,
            outlook,
        )

    def _note_return(self, thread: threading.Thread, came_back: tuple[Hashable, str, float], retired: bool) -> None:
        job_id, label, since = came_back
        after = "ends, as the pool has replaced it" if retired else "serves the pool again"
        log.info(
            "abandoned thread %s returned from %s %.1f s after the pool gave up on it; it %s",
            thread.name,
            _described(job_id, label),
            time.monotonic() - since,
            after,
        )


def _described(job_id: Hashable, label: str) -> str:
    return f"function '{label}' (invocation {job_id})" if label else f"job {job_id!r}"
