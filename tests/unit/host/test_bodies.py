"""The room for request bodies in flight: shares are granted first come first served, a body
already being read goes first, a wait ends in NoRoomForBody, and released room is granted on."""

from __future__ import annotations

import asyncio

import pytest

from quickfunc.host.bodies import BodyBudget, NoRoomForBody
from tests.helpers import run


def test_shares_that_fit_are_granted_at_once_and_released():
    async def go():
        budget = BodyBudget(100, 1.0)
        with budget.hold() as a, budget.hold() as b:
            await a.reserve(60)
            await b.reserve(40)
            assert budget.held == 100
        assert budget.held == 0

    run(go())


def test_a_share_waits_for_room_in_order_and_gets_it_when_released():
    async def go():
        budget = BodyBudget(100, 5.0)
        first, second, third = budget.hold(), budget.hold(), budget.hold()
        await first.reserve(80)
        order = []

        async def wait(hold, size, name):
            await hold.reserve(size)
            order.append(name)

        waiting = [asyncio.ensure_future(wait(second, 50, "second")), asyncio.ensure_future(wait(third, 10, "third"))]
        await asyncio.sleep(0.05)
        # the third would fit now, but it does not overtake the second
        assert order == [] and budget.waiting == 2
        first.release()
        await asyncio.gather(*waiting)
        assert order == ["second", "third"] and budget.held == 60

    run(go())


def test_a_wait_that_runs_out_is_no_room_and_leaves_the_queue():
    async def go():
        budget = BodyBudget(100, 0.1)
        full, late, small = budget.hold(), budget.hold(), budget.hold()
        await full.reserve(100)
        with pytest.raises(NoRoomForBody) as err:
            await late.reserve(30)
        assert "--max-body-memory" in str(err.value) and "30 bytes" in str(err.value)
        assert late.size == 0 and budget.waiting == 0 and budget.held == 100
        full.release()
        await small.reserve(30)
        assert budget.held == 30

    run(go())


def test_a_growing_body_goes_before_new_ones():
    async def go():
        budget = BodyBudget(100, 5.0)
        growing, other, newcomer = budget.hold(), budget.hold(), budget.hold()
        await growing.reserve(40)
        await other.reserve(50)
        queued = asyncio.ensure_future(newcomer.reserve(50))
        await asyncio.sleep(0.02)
        grown = asyncio.ensure_future(growing.reserve(60))
        await asyncio.sleep(0.02)
        other.release()  # room for one of them: the growing body, though it asked last
        await grown
        assert growing.size == 60 and not queued.done()
        growing.release()
        await queued
        assert budget.held == 50

    run(go())


def test_a_cancelled_wait_gives_nothing_away():
    async def go():
        budget = BodyBudget(10, 5.0)
        full, waiter = budget.hold(), budget.hold()
        await full.reserve(10)
        task = asyncio.ensure_future(waiter.reserve(5))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        full.release()
        assert budget.held == 0 and budget.waiting == 0

    run(go())
