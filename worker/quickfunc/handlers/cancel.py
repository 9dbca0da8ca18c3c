"""InvocationCancel: cancel the in-flight invocation; its one response then says Cancelled.

A plain `def` function's thread cannot be stopped: the sync pool gives up on it (and replaces
it) so that a call that never returns does not take a pool thread for good.
"""

from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState
from . import invocation

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    invocation_id = message.invocation_cancel.invocation_id
    sync = isinstance(state.in_flight.get(invocation_id), invocation.SyncCall)
    if not invocation.cancel(invocation_id, state):
        log.debug("cancel for invocation %s, which is not running (already answered?)", invocation_id)
    elif sync:
        # still running (not merely queued, which never starts now)? then its thread is lost to the pool
        state.executor.abandon(invocation_id, "cancelled by the host")
