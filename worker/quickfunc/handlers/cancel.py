"""InvocationCancel: cancel the in-flight invocation; its one response then says Cancelled."""
from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState
from . import invocation

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    invocation_id = message.invocation_cancel.invocation_id
    if not invocation.cancel(invocation_id, state):
        log.debug("cancel for invocation %s, which is not running (already answered?)", invocation_id)
