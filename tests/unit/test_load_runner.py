"""The load runner: jobs off the loop in order; a stuck one hands over, answered at its deadline."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from quickfunc import load_runner
from quickfunc.load_runner import LoadJob, LoadRunner
from tests.helpers import run


@pytest.fixture(autouse=True)
def quick_handoff(monkeypatch):
    monkeypatch.setattr(load_runner, "HANDOFF", 0.1)


class Outcomes:
    """Collects what each job was answered with, and lets a test wait for them."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, object]] = []
        self.changed = asyncio.Event()
        self.loop_thread = threading.get_ident()

    def job(self, label: str, work, timeout: float = 0.0) -> LoadJob:
        def done(result, error):
            assert threading.get_ident() == self.loop_thread
            self.answers.append((label, error if error is not None else result))
            self.changed.set()

        def expired(where, seconds):
            self.answers.append((label, ("expired", where, round(seconds, 1))))
            self.changed.set()

        return LoadJob(label=label, work=work, done=done, expired=expired, timeout=timeout)

    async def wait(self, count: int, timeout: float = 5.0) -> list:
        async def enough():
            while len(self.answers) < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.answers


def test_jobs_run_off_the_loop_in_order_with_the_loop_as_their_running_loop():
    async def go():
        outcomes, loop = Outcomes(), asyncio.get_running_loop()
        runner = LoadRunner(loop)
        seen = []

        def work(n):
            seen.append(n)
            return threading.get_ident() != outcomes.loop_thread and asyncio.get_running_loop() is loop

        for n in range(5):
            runner.submit(outcomes.job(f"job{n}", lambda n=n: work(n)))
        return await outcomes.wait(5), seen

    answers, seen = run(go())
    assert seen == [0, 1, 2, 3, 4]
    assert answers == [(f"job{n}", True) for n in range(5)]


def test_an_exception_or_system_exit_in_the_work_is_answered_not_lost():
    async def go():
        outcomes = Outcomes()
        runner = LoadRunner(asyncio.get_running_loop())

        def exits():
            raise SystemExit(3)

        runner.submit(outcomes.job("raises", lambda: 1 / 0))
        runner.submit(outcomes.job("exits", exits))
        return await outcomes.wait(2)

    (first, error), (second, exit_) = run(go())
    assert first == "raises" and isinstance(error, ZeroDivisionError)
    assert second == "exits" and isinstance(exit_, SystemExit)


def test_a_stuck_job_lets_the_next_ones_run_and_is_answered_at_its_deadline(caplog):
    release = threading.Event()

    def stuck():
        release.wait(10)  # the line the deadline names
        return "late"

    async def go():
        outcomes = Outcomes()
        runner = LoadRunner(asyncio.get_running_loop())
        runner.submit(outcomes.job("stuck", stuck, timeout=1.0))
        runner.submit(outcomes.job("quick", lambda: "quick"))
        first = list(await outcomes.wait(1))
        both = list(await outcomes.wait(2))
        release.set()
        await asyncio.sleep(0.3)  # the stuck job finishes late: logged, not answered again
        return first, both, list(outcomes.answers)

    with caplog.at_level(logging.WARNING, logger="quickfunc"):
        first, both, final = run(go())
    assert first == [("quick", "quick")]
    label, (kind, where, seconds) = both[1]
    assert label == "stuck" and kind == "expired" and 1.0 <= seconds < 3
    assert where is not None and where.at is not None and "test_load_runner.py" in where.at
    assert final == both
    assert any(
        "stuck finished after" in r.getMessage() and "already been answered" in r.getMessage() for r in caplog.records
    )
