"""CloseSharedMemoryResourcesRequest: this worker never creates maps, so none can be closed."""

from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.CloseSharedMemoryResourcesResponse:
    names = list(message.close_shared_memory_resources_request.map_names)
    if names:
        log.warning("asked to close shared-memory maps this worker did not create: %s", ", ".join(names))
    return pb.CloseSharedMemoryResourcesResponse(close_map_results={name: False for name in names})
