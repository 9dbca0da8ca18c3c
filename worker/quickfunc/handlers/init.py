"""WorkerInitRequest: remember the host, advertise what this worker implements."""

from __future__ import annotations

import logging
import os
import sys

from .. import messages, print_capture, shared_memory
from ..console import SYSTEM_LOGGER
from ..protos import pb
from ..state import WorkerState

log = logging.getLogger(SYSTEM_LOGGER)

#: only what this worker really implements (protocol §6.1)
CAPABILITIES = {
    "RawHttpBodyBytes": "true",
    "TypedDataCollection": "true",
    "RpcHttpBodyOnly": "true",
    "RpcHttpTriggerMetadataRemoved": "true",
    "IncludeEmptyEntriesInMessagePayload": "true",
    "WorkerStatus": "true",
    "HandlesInvocationCancelMessage": "true",
    "HandlesWorkerTerminateMessage": "true",
    "HandlesWorkerWarmupMessage": "true",
    "SupportsLoadResponseCollection": "true",
    "EnableUserCodeException": "true",
    # advertised whatever the setting, as the official worker does; the host checks the setting
    "SharedMemoryDataTransfer": "true",
}


def add_app_dir(state: WorkerState, app_dir: str) -> None:
    """Make the app importable as top-level modules, as the host's working directory implies."""
    if not app_dir:
        return
    state.app_dir = os.path.abspath(app_dir)
    if state.app_dir not in sys.path:
        sys.path.append(state.app_dir)


def telemetry_capabilities(state: WorkerState) -> dict[str, str]:
    """Set up OpenTelemetry if a setting asks for it (before the app is imported, as the platform
    does); the capabilities that adds. Once on, it stays on (the host cannot take a capability back)."""
    settings = state.settings
    if not (settings.opentelemetry or settings.azure_monitor):
        return {}
    from .. import telemetry

    tracer, capabilities = telemetry.setup(settings)
    if tracer is not None and state.tracer is None:
        state.tracer = tracer
    return capabilities


def streaming_capabilities(state: WorkerState) -> dict[str, str]:
    """HttpUri and RequiresRouteParameters when the indexed app imported an HTTP streaming
    extension (looked up in sys.modules: nothing is imported for apps without one)."""
    if "azurefunctions.extensions.base" not in sys.modules:
        return {}
    from ..http_stream import startup

    return startup.capabilities(state)


def handle(message: pb.StreamingMessage, state: WorkerState) -> pb.WorkerInitResponse:
    request = message.worker_init_request
    state.init_received = True
    state.host_capabilities = dict(request.capabilities)
    add_app_dir(state, request.function_app_directory)
    if request.capabilities.get(print_capture.CAPABILITY, "").lower() == "true":
        print_capture.install(state.send, state.request_id, state.max_message_length)
    log.info(
        "Received WorkerInitRequest: host %s, app %s, Python %s",
        request.host_version or "?",
        request.function_app_directory or "?",
        sys.version.split()[0],
    )
    capabilities = {**CAPABILITIES, **telemetry_capabilities(state)}
    from .. import app_index

    app_index.index_early(state)
    shared_memory.configure(state.settings, state.host_capabilities)
    return pb.WorkerInitResponse(
        capabilities={**capabilities, **streaming_capabilities(state)},
        worker_metadata=messages.worker_metadata(),
        result=messages.success(),
    )
