"""Fixtures of the handler tests."""

from __future__ import annotations

import pytest

from tests.harness import WorkerHarness
from tests.helpers import app_path


@pytest.fixture
def sleepers(worker_harness) -> WorkerHarness:
    """tests/apps/faults loaded in an in-process worker whose sync pool has one thread
    (SleepAsync and SleepSync log "started ..." and sleep `?seconds`; BodySize answers at once)."""
    worker = worker_harness(app_path("faults"), env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"})
    worker.load_v1_app()
    return worker
