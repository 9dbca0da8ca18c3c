"""WorkerTerminate: stop taking work, let in-flight invocations finish within the grace period."""
from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    request = message.worker_terminate
    grace = request.grace_period.seconds + request.grace_period.nanos / 1e9 if request.HasField("grace_period") else 5.0
    state.grace_period = max(0.0, grace)
    log.info("Received WorkerTerminate: finishing %d in-flight invocation(s) within %.1f s",
             len(state.in_flight), state.grace_period)
    state.terminate_requested.set()
