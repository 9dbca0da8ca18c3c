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
    started: queue.SimpleQueue[int] = queue.SimpleQueue()
    out: queue.SimpleQueue[tuple[int, bool]] = queue.SimpleQueue()

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
        assert any("sync-test" in r.getMessage() and r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)
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


# --- abandoned threads: a cancelled job that never returns -------------------------------------


def _blocker(started: threading.Event, release: threading.Event, out: "queue.SimpleQueue", tag: str):
    def job() -> None:
        started.set()
        release.wait(10)
        out.put(tag)

    return job


def _wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def test_an_abandoned_thread_is_replaced_for_a_waiting_job_and_logged(caplog):
    pool = SyncPool(max_workers=1, name="sync-test")
    started, release = threading.Event(), threading.Event()
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        pool.run(_blocker(started, release, out, "stuck"), job_id="inv-1", label="Spin")
        assert started.wait(5)
        pool.run(out.put, "waiting")  # no thread free: it waits for one
        time.sleep(0.05)
        assert out.empty()
        with caplog.at_level(logging.INFO, logger="quickfunc"):
            assert pool.abandon("inv-1", "cancelled by the host")
            assert out.get(timeout=5) == "waiting"  # ran on the replacement
            pool.run(out.put, "later")
            assert out.get(timeout=5) == "later"
            assert pool.thread_count == 2 and pool.abandoned_count == 1
            release.set()  # the stuck call returns: its thread ends, the pool is back to its size
            assert out.get(timeout=5) == "stuck"
            assert _wait_until(lambda: pool.thread_count == 1 and pool.abandoned_count == 0)
            assert _wait_until(
                lambda: any(  # logged just after the thread left the pool's count
                    "sync-test_0 returned from function 'Spin' (invocation inv-1)" in r.getMessage()
                    and "ends" in r.getMessage()
                    for r in list(caplog.records)
                    if r.levelno == logging.INFO
                )
            )
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "function 'Spin' (invocation inv-1)" in warnings[0] and "sync-test_0" in warnings[0]
        assert "cancelled by the host" in warnings[0] and "Abandoned threads: 1, of up to 32" in warnings[0]
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_a_thread_that_comes_back_before_a_replacement_serves_again():
    pool = SyncPool(max_workers=1)
    started, release = threading.Event(), threading.Event()
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        pool.run(_blocker(started, release, out, "late"), job_id="a")
        assert started.wait(5)
        assert pool.abandon("a", "cancelled")
        assert pool.thread_count == 1  # nothing waited: no replacement yet
        release.set()
        assert out.get(timeout=5) == "late"
        assert _wait_until(lambda: pool.abandoned_count == 0)
        pool.run(out.put, "next")
        assert out.get(timeout=5) == "next"
        assert pool.thread_count == 1
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_abandon_of_a_job_that_is_not_running_is_refused():
    pool = SyncPool(max_workers=1)
    started, release = threading.Event(), threading.Event()
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        assert not pool.abandon("never-ran", "cancelled")
        pool.run(out.put, "done", job_id="finished")
        assert out.get(timeout=5) == "done"
        assert _wait_until(lambda: not pool.abandon("finished", "cancelled"))
        pool.run(_blocker(started, release, out, "x"), job_id="b")
        assert started.wait(5)
        assert pool.abandon("b", "cancelled") and not pool.abandon("b", "cancelled")  # once
        assert pool.abandoned_count == 1
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_past_the_allowance_the_pool_runs_short_and_says_so(caplog):
    pool = SyncPool(max_workers=1, abandoned_allowance=1)
    releases = [threading.Event(), threading.Event()]
    out: queue.SimpleQueue = queue.SimpleQueue()
    try:
        with caplog.at_level(logging.WARNING, logger="quickfunc"):
            for n, release in enumerate(releases):
                started = threading.Event()
                pool.run(_blocker(started, release, out, f"stuck{n}"), job_id=n, label="Spin")
                assert started.wait(5)
                if n == 1:
                    pool.run(out.put, "waiting")  # the only serving thread is busy: it waits
                assert pool.abandon(n, "cancelled by the host")
            time.sleep(0.05)
            assert out.empty() and pool.thread_count == 2  # the bound: size 1 + allowance 1
        last = caplog.records[-1].getMessage()
        assert "Abandoned threads: 2, more than the 1 the pool replaces" in last
        assert "only 0 of its 1 thread(s) serve new calls" in last and "(1 waiting now)" in last
        releases[0].set()  # the first stuck call returns: its thread rejoins and takes the waiting job
        assert sorted(out.get(timeout=5) for _ in range(2)) == ["stuck0", "waiting"]
        assert pool.thread_count == 2 and pool.abandoned_count == 1
    finally:
        for release in releases:
            release.set()
        pool.shutdown(wait=True)
