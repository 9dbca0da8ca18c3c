"""Fixtures for every test: in-process workers (tests/harness.py), closed after their test or
module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.azurite import Azurite, start_azurite
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


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """A real Azurite for the whole session, on free loopback ports (fails when not installed)."""
    server = start_azurite(str(tmp_path_factory.mktemp("azurite")))
    try:
        yield server
    finally:
        server.stop()
