"""WorkerWarmupRequest: warm the paths the first invocation takes, then answer."""

from __future__ import annotations

from .. import messages
from ..protos import pb
from ..state import WorkerState


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.WorkerWarmupResponse:
    import azure.functions  # noqa: F401  (the converter registry)

    return pb.WorkerWarmupResponse(result=messages.success())
