"""At init and environment reload: start the web server when the app, indexed by then, imported a
web extension, and name the capabilities that tell the host to forward HTTP requests to it."""

from __future__ import annotations

import logging

from ..console import SYSTEM_LOGGER
from ..state import WorkerState
from . import extension_base
from .server import StreamServer

log = logging.getLogger(SYSTEM_LOGGER)


def capabilities(state: WorkerState) -> dict[str, str]:
    """`HttpUri` and `RequiresRouteParameters` when HTTP streaming is on (the server started once
    per process); empty when the app imported no web extension."""
    base = extension_base()
    if base is None:
        return {}
    server = state.http_stream
    if server is None:
        server = StreamServer(base)
        server.start(state.host_address or "127.0.0.1")  # StreamServerError escapes: init fails
        state.http_stream = server
    return {"HttpUri": server.url, "RequiresRouteParameters": "true"}
