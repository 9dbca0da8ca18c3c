"""Fixtures for every test: in-process workers (tests/harness.py), closed after their test or
module."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.harness import WorkerHarness

HarnessFactory = Callable[..., WorkerHarness]


def _started() -> Iterator[HarnessFactory]:
    started: list[WorkerHarness] = []

    def start(app_dir: str | None = None, **kw: Any) -> WorkerHarness:
        harness = WorkerHarness(app_dir, **kw)
        started.append(harness)
        return harness

    yield start
    for harness in reversed(started):
        harness.close()


@pytest.fixture
def worker_harness() -> Iterator[HarnessFactory]:
    """`worker_harness(app_dir, env=..., init=True)`: an in-process worker for this test."""
    yield from _started()


@pytest.fixture(scope="module")
def module_worker_harness() -> Iterator[HarnessFactory]:
    """The same, kept for every test of a module (fuzzing: set up once, many examples)."""
    yield from _started()
