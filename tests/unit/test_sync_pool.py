"""The sync-function pool reuses idle threads, never exceeds its size, survives a raising job and
drops queued jobs on shutdown."""
import logging
import queue
import threading
import time

import pytest

from quickfunc.sync_pool import SyncPool, default_size


def results(count: int, out: "queue.SimpleQueue", timeout: float = 5.0) -> list:
    return [out.get(timeout=timeout) for _ in range(count)]


def test_sustained_concurrent_load_reuses_idle_threads():
    """ThreadPoolExecutor on Python 3.12 grows to max_workers here; this pool stays near 16.

    A job answers before its thread counts itself idle, so the next batch can start a few more.
    """
    pool = SyncPool(max_workers=1000)
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        for _ in range(300):
            for _ in range(16):
                pool.run(lambda: out.put(sum(range(100))))
            assert results(16, out) == [4950] * 16
        assert pool.thread_count <= 32
    finally:
        pool.shutdown(wait=True)


def test_never_more_threads_than_max_workers_and_queued_jobs_still_run():
    pool = SyncPool(max_workers=4)
    release = threading.Event()
    started, out = queue.SimpleQueue(), queue.SimpleQueue()

    def job(n: int) -> None:
        started.put(n)
        out.put((n, release.wait(5)))

    try:
        for n in range(12):
            pool.run(job, n)
        time.sleep(0.1)
        assert pool.thread_count == 4 and started.qsize() == 4
        release.set()
        assert sorted(results(12, out)) == [(n, True) for n in range(12)]
        assert pool.thread_count == 4
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_a_raising_job_is_logged_and_its_thread_lives_on(caplog):
    pool = SyncPool(max_workers=1, name="sync-test")
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        with caplog.at_level(logging.ERROR):
            pool.run(int, "not a number")
            pool.run(lambda: out.put(int("7")))
            assert out.get(timeout=5) == 7
        assert pool.thread_count == 1
        assert any("sync-test" in r.getMessage() and r.exc_info and r.exc_info[0] is ValueError
                   for r in caplog.records)
    finally:
        pool.shutdown(wait=True)


def test_shutdown_drops_queued_jobs_and_refuses_new_ones():
    pool = SyncPool(max_workers=1)
    release = threading.Event()
    ran: list = []
    pool.run(lambda: ran.append(release.wait(5)))
    pool.run(lambda: ran.append("queued"))
    time.sleep(0.05)
    assert pool.shutdown(drop_queued=True) == 1
    release.set()
    pool.shutdown(wait=True)
    assert ran == [True]
    with pytest.raises(RuntimeError, match="shut down"):
        pool.run(sum, [1])


def test_default_size_is_the_executor_default():
    assert SyncPool().max_workers == default_size() >= 5
