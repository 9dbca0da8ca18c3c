"""CloseSharedMemoryResourcesRequest: drop the output maps the host has read (protocol §5.2)."""

from __future__ import annotations

from .. import shared_memory
from ..protos import pb
from ..state import WorkerState


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.CloseSharedMemoryResourcesResponse:
    names = list(message.close_shared_memory_resources_request.map_names)
    results = shared_memory.active().close(names) if names else {}
    return pb.CloseSharedMemoryResourcesResponse(close_map_results=results)
