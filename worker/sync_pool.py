"""The threads that run plain `def` functions: a small pool that starts a thread only when none
is idle, up to PYTHON_THREADPOOL_THREAD_COUNT.

`ThreadPoolExecutor` on Python 3.12 counts a thread as idle only when it finds the job queue
empty, so under steady load it starts a new thread for nearly every job, up to the host's
default of 1000. This pool keeps an exact idle count instead.
"""
from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable


def default_size() -> int:
    """`ThreadPoolExecutor`'s own default, used when the setting is absent."""
    return min(32, (os.cpu_count() or 1) + 4)


class SyncPool:
    """Runs callables on pool threads; `submit` returns a Future, as an executor's does."""

    def __init__(self, max_workers: int | None = None, name: str = "sync-function") -> None:
        self.max_workers = max_workers or default_size()
        self._name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the sync-function pool is shut down")
            if self._idle:
                self._idle -= 1  # an idle thread will take this job
            elif len(self._threads) < self.max_workers:
                self._start_thread()
        self._jobs.put((future, fn, args))
        return future

    @property
    def thread_count(self) -> int:
        return len(self._threads)

    def shutdown(self, wait: bool = False, cancel_futures: bool = False) -> None:
        """Stop taking jobs; queued jobs are cancelled if asked, running ones finish on their own."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[0].cancel()
        for _ in threads:
            self._jobs.put(None)
        if wait:
            for thread in threads:
                thread.join()

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
            future, fn, args = job
            del job
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as exc:  # reported through the future, as an executor does
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args
            with lock:
                self._idle += 1
