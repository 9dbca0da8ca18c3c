"""The threads that run plain `def` functions: a small pool that starts a thread only when none
is idle, up to PYTHON_THREADPOOL_THREAD_COUNT.

`ThreadPoolExecutor` on Python 3.12 counts a thread as idle only when it finds the job queue
empty, so under steady load it starts a new thread for nearly every job, up to the host's
default of 1000. This pool keeps an exact idle count instead.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Any, Callable

from .console import SYSTEM_LOGGER

log = logging.getLogger(SYSTEM_LOGGER)


def default_size() -> int:
    """`ThreadPoolExecutor`'s own default, used when the setting is absent."""
    return min(32, (os.cpu_count() or 1) + 4)


class SyncPool:
    """Runs callables on pool threads, fire and forget: a job reports its own outcome.

    No Future per call (an executor's costs a lock, a condition and a few microseconds); a job
    that raises is logged and its thread lives on.
    """

    def __init__(self, max_workers: int | None = None, name: str = "sync-function") -> None:
        self.max_workers = max_workers or default_size()
        self._name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    def run(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` on an idle thread, a new one (up to the size), or the next free one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the sync-function pool is shut down")
            if self._idle:
                self._idle -= 1  # an idle thread will take this job
            elif len(self._threads) < self.max_workers:
                self._start_thread()
        self._jobs.put((fn, args))

    @property
    def thread_count(self) -> int:
        return len(self._threads)

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

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._serve, name=f"{self._name}_{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        jobs, lock = self._jobs, self._lock
        while True:
            job = jobs.get()
            if job is None:
                return
            fn, args = job
            del job
            try:
                fn(*args)
            except BaseException:  # jobs answer for themselves; this is a bug of the caller's
                log.exception("a job of the %s pool raised", self._name)
            del fn, args
            with lock:
                self._idle += 1
