"""The one way the worker stops, whatever asked (WorkerTerminate, SIGTERM, a fault): take no new
work, give in-flight invocations the grace period, then answer every one still unanswered."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from .console import SYSTEM_LOGGER
from .handlers import invocation as invocations
from .state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)

#: how often the drain looks whether the in-flight invocations have finished (seconds)
POLL = 0.01
#: the end of the grace period kept for answering, flushing the stream and exiting: a quarter
#: of it, at most this many seconds
RESERVE = 0.5


@dataclass
class Shutdown:
    """A request to stop: why, by when, and how the process should end."""

    #: what asked, as the answers name it ("WorkerTerminate", "SIGTERM", ...)
    cause: str
    #: loop time when the request came
    started: float
    #: loop time by which the worker should be gone (a later request may bring it forward)
    deadline: float
    exit_code: int = 0
    #: for stops caused by a fault: what to say on stderr at the end
    error: str = ""

    @property
    def grace(self) -> float:
        return self.deadline - self.started


def seconds(value: float) -> str:
    """A duration as the messages show it: `1`, `1.5`, `0.25`."""
    return f"{round(value, 2):g}"


def request(state: WorkerState, cause: str, grace: float, *, exit_code: int = 0, error: str = "") -> Shutdown:
    """Ask the worker to stop within `grace` seconds. A second request keeps the first one's
    cause and can only bring the deadline forward."""
    now = asyncio.get_running_loop().time()
    deadline = now + max(0.0, grace)
    current = state.shutdown
    if current is None:
        state.shutdown = current = Shutdown(cause, now, deadline, exit_code, error)
        state.shutdown_requested.set()
    elif deadline < current.deadline:
        current.deadline = deadline
    return current


async def drain(state: WorkerState) -> list[str]:
    """Wait for the in-flight invocations until the grace period (less a reserve) is over, then
    answer each unfinished one, running or still queued, as failed; return their ids."""
    shutdown: Shutdown = state.shutdown
    loop = asyncio.get_running_loop()
    while state.in_flight:
        left = shutdown.deadline - min(RESERVE, shutdown.grace / 4) - loop.time()
        if left <= 0:
            break
        await asyncio.sleep(min(POLL, left))
    # queued `def` invocations must not start once they have been answered
    state.executor.shutdown(wait=False, drop_queued=True)
    if not state.in_flight:
        return []
    error = RuntimeError(
        f"the worker is shutting down ({shutdown.cause}), this invocation did not finish within "
        f"the grace period of {seconds(shutdown.grace)} s"
    )
    abandoned = [i for i in list(state.in_flight) if invocations.abandon(i, state, error)]
    if abandoned:
        log.warning(
            "grace period over: %d invocation(s) did not finish and were answered as failed: %s",
            len(abandoned),
            ", ".join(abandoned),
        )
    return abandoned
