"""A stop request: the first names the cause; later ones can only bring the deadline forward."""

import asyncio

from quickfunc import shutdown
from tests.helpers import worker_state


def test_the_first_request_sets_cause_and_deadline_and_later_ones_only_shorten_it():
    async def go():
        state = worker_state()
        first = shutdown.request(state, "WorkerTerminate", 5.0)
        assert state.shutdown is first and state.shutdown_requested.is_set()
        assert round(first.grace, 3) == 5.0
        assert shutdown.request(state, "SIGTERM", 30.0) is first  # a longer grace changes nothing
        assert (first.cause, round(first.grace, 3)) == ("WorkerTerminate", 5.0)
        shutdown.request(state, "SIGTERM", 0.0)
        assert first.cause == "WorkerTerminate" and first.grace < 0.01
        assert state.executor is not None
        state.executor.shutdown()

    asyncio.run(go())


def test_durations_are_shown_without_noise():
    shown = [shutdown.seconds(s) for s in (1, 1.5, 0.25, 0.30012, 30.0)]
    assert shown == ["1", "1.5", "0.25", "0.3", "30"]
