"""The sync-function pool reuses idle threads, never exceeds its size, and reports through futures."""
import threading
import time
from concurrent.futures import CancelledError, wait

import pytest

from worker.sync_pool import SyncPool, default_size


def test_sustained_concurrent_load_reuses_idle_threads():
    """ThreadPoolExecutor on Python 3.12 grows to max_workers here; this pool stays near 16."""
    pool = SyncPool(max_workers=1000)
    try:
        for _ in range(300):
            futures = [pool.submit(sum, range(100)) for _ in range(16)]
            assert [f.result(timeout=5) for f in futures] == [4950] * 16
        assert pool.thread_count <= 20
    finally:
        pool.shutdown(wait=True)


def test_never_more_threads_than_max_workers_and_queued_jobs_still_run():
    pool = SyncPool(max_workers=4)
    release = threading.Event()
    try:
        futures = [pool.submit(release.wait, 5) for _ in range(12)]
        time.sleep(0.1)
        assert pool.thread_count == 4
        assert sum(f.running() for f in futures) == 4
        release.set()
        done, not_done = wait(futures, timeout=5)
        assert not not_done and all(f.result() is True for f in done)
        assert pool.thread_count == 4
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_exceptions_are_reported_through_the_future_and_the_thread_lives_on():
    pool = SyncPool(max_workers=1)
    try:
        failing = pool.submit(int, "not a number")
        with pytest.raises(ValueError):
            failing.result(timeout=5)
        assert pool.submit(int, "7").result(timeout=5) == 7
        assert pool.thread_count == 1
    finally:
        pool.shutdown(wait=True)


def test_shutdown_cancels_queued_jobs_and_refuses_new_ones():
    pool = SyncPool(max_workers=1)
    release = threading.Event()
    running = pool.submit(release.wait, 5)
    queued = pool.submit(sum, [1, 2])
    time.sleep(0.05)
    pool.shutdown(cancel_futures=True)
    release.set()
    assert running.result(timeout=5) is True
    with pytest.raises(CancelledError):
        queued.result(timeout=5)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(sum, [1])


def test_default_size_is_the_executor_default():
    assert SyncPool().max_workers == default_size() >= 5
