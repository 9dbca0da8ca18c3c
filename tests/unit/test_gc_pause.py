"""The collector held off during start-up: thresholds, resume, freeze and the re-armed timer."""

from __future__ import annotations

import asyncio
import gc

import pytest

from quickfunc import gc_pause


@pytest.fixture(autouse=True)
def _restore_gc():
    thresholds = gc.get_threshold()
    yield
    gc_pause.resume()
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_hold_stops_automatic_collections_and_resume_restores_them():
    before = gc.get_threshold()
    gc_pause.hold()
    assert gc_pause.is_held() and gc.get_threshold()[0] == 0
    gc_pause.hold()  # a second hold changes nothing
    gc_pause.resume()
    assert not gc_pause.is_held() and gc.get_threshold() == before


def test_resume_collects_start_up_garbage_and_freezes_the_survivors():
    gc.unfreeze()
    gc_pause.hold()

    class Node:
        next: Node

    ring = Node()
    ring.next = Node()
    ring.next.next = ring
    survivor = [Node() for _ in range(100)]
    del ring
    gc_pause.resume()
    assert gc.get_freeze_count() > len(survivor)
    assert not any(isinstance(o, Node) and hasattr(o, "next") for o in gc.get_objects())


def test_thresholds_an_app_set_while_held_are_kept():
    gc_pause.hold()
    gc.set_threshold(5000, 20, 20)
    gc_pause.resume()
    assert gc.get_threshold() == (5000, 20, 20)


def test_resume_after_is_pushed_back_by_each_call_and_fires_once():
    async def scenario() -> list[bool]:
        gc_pause.hold()
        gc_pause.resume_after(0.2)
        seen = []
        for _ in range(3):
            await asyncio.sleep(0.1)
            seen.append(gc_pause.is_held())
            gc_pause.resume_after(0.2)
        await asyncio.sleep(0.35)
        seen.append(gc_pause.is_held())
        return seen

    assert asyncio.run(scenario()) == [True, True, True, False]


def test_resume_after_does_nothing_when_not_held():
    async def scenario() -> bool:
        gc_pause.resume_after(0.01)
        await asyncio.sleep(0.05)
        return gc_pause.is_held()

    assert asyncio.run(scenario()) is False
