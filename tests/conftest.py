"""Fixtures for every test: in-process workers (tests/harness.py), closed after their test or
module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.driver import closing_factory
from tests.harness import WorkerHarness

HarnessFactory = Callable[..., WorkerHarness]


@pytest.fixture
def worker_harness() -> Iterator[HarnessFactory]:
    """`worker_harness(app_dir, env=..., init=True)`: an in-process worker for this test."""
    yield from closing_factory(WorkerHarness)


@pytest.fixture(scope="module")
def module_worker_harness() -> Iterator[HarnessFactory]:
    """The same, kept for every test of a module (fuzzing: set up once, many examples)."""
    yield from closing_factory(WorkerHarness)
