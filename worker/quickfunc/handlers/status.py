"""WorkerStatusRequest: answer at once, echoing the request id (the host measures latency)."""
from __future__ import annotations

from ..protos import pb
from ..state import WorkerState

_RESPONSE = pb.WorkerStatusResponse()


def handle(message: pb.StreamingMessage, state: WorkerState) -> None:
    state.send(pb.StreamingMessage(request_id=message.request_id, worker_status_response=_RESPONSE))
