"""The worker's web server for HTTP streaming: the extension's WebServer with one catch-all route
that parks each request under its x-ms-invocation-id until the invocation hands back a response."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import socket
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..console import SYSTEM_LOGGER

log = logging.getLogger(SYSTEM_LOGGER)

#: the header the host adds to each forwarded request
INVOCATION_HEADER = "x-ms-invocation-id"
#: how long one side waits for the other (the host's own proxy gives up after 240 s of silence)
PAIRING_TIMEOUT = 240.0


class StreamServerError(Exception):
    """The web server of the HTTP streaming extension could not be started."""


@dataclass
class _Pair:
    """One invocation's meeting point: the framework request in, the function's response out."""

    request: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    response: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    expiry: asyncio.TimerHandle | None = None


class StreamServer:
    """Pairs forwarded requests with invocations; serves them through the extension's server."""

    def __init__(self, base: ModuleType) -> None:
        self.base = base
        self.url = ""
        self._pairs: dict[str, _Pair] = {}
        self._task: asyncio.Task | None = None
        self._running: Any = None

    # ---- pairing -------------------------------------------------------------------------------

    def _pair(self, invocation_id: str) -> _Pair:
        pair = self._pairs.get(invocation_id)
        if pair is None:
            pair = self._pairs[invocation_id] = _Pair()
            # a side that never comes (the host lost the request, or the invocation) frees it
            pair.expiry = asyncio.get_running_loop().call_later(
                PAIRING_TIMEOUT * 2, self._pairs.pop, invocation_id, None
            )
        return pair

    def _drop(self, invocation_id: str) -> None:
        pair = self._pairs.pop(invocation_id, None)
        if pair is not None and pair.expiry is not None:
            pair.expiry.cancel()

    async def request_for(self, invocation_id: str, function_name: str) -> Any:
        """The framework request the host forwarded for this invocation (waits for it)."""
        pair = self._pair(invocation_id)
        try:
            return await asyncio.wait_for(asyncio.shield(pair.request), PAIRING_TIMEOUT)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"function {function_name}: the host did not forward the HTTP request of invocation "
                f"{invocation_id} to the worker's HTTP server ({self.url}) within {PAIRING_TIMEOUT:g}s"
            ) from None

    def respond(self, invocation_id: str, value: Any) -> None:
        """Hand the function's return value (or the exception it raised) to the waiting route."""
        pair = self._pair(invocation_id)
        if not pair.response.done():
            pair.response.set_result(value)

    async def _route(self, request: Any) -> Any:
        invocation_id = request.headers.get(INVOCATION_HEADER)
        if not invocation_id:
            return self._plain(
                400,
                f"this server answers only requests forwarded by the Functions host "
                f"(header {INVOCATION_HEADER} missing)",
            )
        pair = self._pair(invocation_id)
        if pair.request.done():
            return self._plain(409, f"invocation {invocation_id} already has its HTTP request")
        pair.request.set_result(request)
        try:
            value = await asyncio.wait_for(asyncio.shield(pair.response), PAIRING_TIMEOUT)
        except asyncio.TimeoutError:
            return self._plain(504, f"invocation {invocation_id} did not run within {PAIRING_TIMEOUT:g}s")
        finally:
            self._drop(invocation_id)
        if isinstance(value, BaseException):  # a 500, as on the platform; the invocation reports
            return self._plain(500, "Internal Server Error", quiet=True)  # the error itself
        return value

    def _plain(self, status: int, text: str, quiet: bool = False) -> Any:
        response_type = self.base.ResponseTrackerMeta.get_standard_response_type()
        if not quiet:
            log.error("HTTP streaming server: %s", text)
        return response_type(content=text, status_code=status, media_type="text/plain")

    # ---- the server ----------------------------------------------------------------------------

    def start(self, host: str) -> str:
        """Start the extension's web server on a free port of `host` (on the running loop)."""
        try:
            extension = importlib.import_module(self.base.ModuleTrackerMeta.get_module())
            app = extension.WebApp()
            app.route(_typed_route(self._route, self.base.RequestTrackerMeta.get_request_type()))
            port = _free_port(host)
            server = extension.WebServer(host, port, app)
        except Exception as exc:
            raise StreamServerError(f"cannot start the HTTP streaming server: {type(exc).__name__}: {exc}") from exc
        self._task = asyncio.get_running_loop().create_task(self._serve(server), name="http-stream-server")
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        log.info("HTTP streaming: %s serves HTTP functions at %s", type(server).__module__, self.url)
        return self.url

    async def stop(self, timeout: float = 2.0) -> None:
        """Before the worker exits: let the server shut down (the framework's lifespan shutdown
        runs) instead of being cut off when the loop closes."""
        task = self._task
        if task is None or task.done():
            return
        running = self._running
        if running is not None and hasattr(running, "should_exit"):
            running.should_exit = True  # uvicorn's own way out: its lifespan shutdown runs
        else:
            task.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()
        except Exception:
            pass

    def _find_running(self) -> None:
        """The extension keeps its uvicorn server to itself; the one handle on it is the SIGTERM
        handler (its own method) it installs as it starts, replaced by the worker's on the way out."""
        handler = signal.getsignal(signal.SIGTERM)
        self._running = getattr(handler, "__self__", None)

    async def _serve(self, server: Any) -> None:
        # runs just after serve()'s first step, which installs that handler
        asyncio.get_running_loop().call_soon(self._find_running)
        try:
            await server.serve()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # uvicorn exits the process on a startup error: not ours
            log.error("the HTTP streaming server stopped: %s: %s", type(exc).__name__, exc)


def _typed_route(handler: Any, request_type: Any) -> Any:
    """The catch-all route, annotated with the framework's request type so that the framework
    passes its request object."""

    async def catch_all(request):  # type: ignore[no-untyped-def]
        return await handler(request)

    catch_all.__annotations__ = {"request": request_type}
    return catch_all


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
