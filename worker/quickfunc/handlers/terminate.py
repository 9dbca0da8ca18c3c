"""WorkerTerminate: stop taking work, let in-flight invocations finish within the grace period."""

from __future__ import annotations

import logging

from .. import shutdown
from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)

#: what the host sends, for a WorkerTerminate without a grace period
DEFAULT_GRACE = 5.0


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    request = message.worker_terminate
    grace = DEFAULT_GRACE
    if request.HasField("grace_period"):
        grace = max(0.0, request.grace_period.seconds + request.grace_period.nanos / 1e9)
    log.info(
        "Received WorkerTerminate: finishing %d in-flight invocation(s) within %s s",
        len(state.in_flight),
        shutdown.seconds(grace),
    )
    shutdown.request(state, "WorkerTerminate", grace)
