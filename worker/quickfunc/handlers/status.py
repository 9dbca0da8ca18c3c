"""WorkerStatusRequest: answer at once, echoing the request id (the host measures latency)."""

from __future__ import annotations

from ..protos import pb
from ..state import WorkerState

_RESPONSE = pb.WorkerStatusResponse()


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.WorkerStatusResponse:
    return _RESPONSE  # the dispatcher's envelope echoes the request_id
