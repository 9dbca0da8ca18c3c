"""InvocationCancel: cancel the in-flight invocation; its one response then says Cancelled."""
from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    invocation_id = message.invocation_cancel.invocation_id
    task = state.in_flight.get(invocation_id)
    if task is None:
        log.debug("cancel for invocation %s, which is not running (already answered?)", invocation_id)
        return
    task.cancel(f"invocation {invocation_id} cancelled by the host")
