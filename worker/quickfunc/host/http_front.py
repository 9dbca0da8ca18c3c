"""The HTTP side: requests to ``/{routePrefix}/{route}`` become invocations, their outputs become
responses; also the admin endpoints. Built on aiohttp's low-level server with bounded limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import web, web_protocol, web_server
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from multidict import CIMultiDict

from quickfunc.host.admin import AdminApi, no_room, plain
from quickfunc.host.auth import KeyRing, key_from_request
from quickfunc.host.bodies import BodyBudget, BodyTooLarge, NoRoomForBody, read_body
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.connections import ConnectionGuard, GuardedConnection
from quickfunc.host.cors import is_preflight
from quickfunc.host.durable import API_PREFIX, NOT_SERVED_STATUS, answer
from quickfunc.host.http_proxy import CAPABILITY as HTTP_URI
from quickfunc.host.http_proxy import HttpProxy
from quickfunc.host.invocations import IncomingHttp, http_inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.listen_urls import listening_urls
from quickfunc.host.output import Console, printable
from quickfunc.host.paths import PathError, routing_path
from quickfunc.host.pool import WorkerPool
from quickfunc.host.responses import reply_from_value, reply_without_output
from quickfunc.host.routes import MethodNotAllowed, RouteError, RouteMatch, RouteTable

__all__ = ["HttpFront", "BodyTooLarge", "read_body"]

#: after the drain timeout, how long cut requests have to send their 503 before connections close
_CUT_GRACE = 5.0
#: where a request keeps the name of the function whose route it matched, for its console line
_FUNCTION = "quickfunc.function"

# aiohttp's own error logging would print tracebacks for every malformed request
_quiet = logging.getLogger("quickfunc.host.http")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def _path(request: web.BaseRequest) -> str:
    """The path as routed (decoded but for %2F, dot segments removed); raw if it is refused."""
    try:
        return routing_path(request.rel_url.raw_path)
    except PathError:
        return request.rel_url.raw_path


def _not_running(reason: str) -> web.Response:
    """The Functions host's answer while it has no worker (503), saying why."""
    return plain(503, f"Function host is not running: {reason}")


class _Connection(GuardedConnection):
    """aiohttp's connection handler (with the connection limits), answering oversized request
    heads with 431 / 414 instead of a plain 400."""

    front: HttpFront | None = None

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        front = self.front
        if front is not None and status == 400 and isinstance(exc, BadHttpMessage):
            new_status = front.status_for_parse_error(exc)
            if new_status != status:
                front.console.request("-", "(request head too large)", new_status, 0.0)
                return super().handle_error(request, new_status, exc, message)
        return super().handle_error(request, status, exc, message)


class _Server(web_server.Server):
    front: HttpFront | None = None
    guard: ConnectionGuard | None = None

    def __call__(self) -> web_protocol.RequestHandler:
        try:
            handler = _Connection(self, loop=self._loop, **self._kwargs)
        except (AttributeError, TypeError):  # a future aiohttp: plain 400s then
            return super().__call__()
        handler.front = self.front
        return handler


class HttpFront:
    """Routes, authorises and runs HTTP requests; serves the admin endpoints."""

    def __init__(
        self,
        config: HostConfig,
        catalog: Catalog,
        invoker: Invoker,
        pool: WorkerPool,
        console: Console,
        keys: KeyRing | None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.invoker = invoker
        self.pool = pool
        self.console = console
        self.keys = keys
        #: the bytes of request bodies held at once (--max-body-memory)
        self.bodies = BodyBudget(config.max_body_memory, config.body_wait_timeout)
        self.routes: RouteTable[FunctionSpec] = RouteTable()
        self.base_url = ""
        #: the address the socket is bound to, for "Listening on" (base_url names a reachable one)
        self.listening = ""
        self._runner: web.ServerRunner | None = None
        #: done when the drain timeout has passed: requests still running then get a 503
        self._cut: asyncio.Future[None] | None = None
        self._templates: dict[str, str] = {}
        #: cleared while a reload is under way: requests wait for the new code (reload.py)
        self.open = asyncio.Event()
        self.open.set()
        self.admin = AdminApi(self)
        #: HTTP streaming: requests forwarded to the worker's own server
        self.proxy = HttpProxy(config, invoker)
        #: the Durable Functions HTTP API (durable/http_api.py), for apps with durable functions
        self.durable: Any = None
        self.install(catalog)

    def install(self, catalog: Catalog) -> None:
        """Serve the routes of the app's HTTP functions (once its worker has indexed it)."""
        self.catalog = catalog
        for spec in catalog.functions:
            if spec.is_http and not spec.disabled:
                self._add_route(spec)

    def replace(self, catalog: Catalog, pool: WorkerPool, config: HostConfig, keys: KeyRing | None) -> None:
        """Serve a reloaded app (its routes, workers, settings and keys) on the same listener."""
        self.routes, self._templates = RouteTable(), {}
        self.pool, self.config, self.keys = pool, config, keys
        self.install(catalog)

    # ---- routes --------------------------------------------------------------------------------

    def _add_route(self, spec: FunctionSpec) -> None:
        trigger = spec.trigger
        assert trigger is not None
        route = trigger.get("route")
        route = (route if isinstance(route, str) and route.strip() else spec.name).strip("/")
        prefix = self.config.route_prefix
        template = f"{prefix}/{route}" if prefix and route else (prefix or route)
        try:
            self.routes.add(template, trigger.get("methods"), spec)
        except RouteError as exc:
            spec.error = str(exc)
            return
        self._templates[spec.name] = template

    def url_for(self, spec: FunctionSpec) -> str:
        template = self._templates.get(spec.name)
        return f"{self.base_url}/{template}" if template is not None else ""

    def methods_for(self, spec: FunctionSpec) -> str:
        trigger = spec.trigger
        methods = trigger.get("methods") if trigger else None
        return ",".join(str(m).upper() for m in methods) if methods else "all methods"

    def status_for_parse_error(self, exc: BaseException) -> int:
        """431 for headers too large or too many, 414 for a request line too long."""
        if isinstance(exc, LineTooLong):
            limit = str(exc.args[1]) if len(exc.args) > 1 else ""
            if limit == str(self.config.max_url_size) and self.config.max_url_size != self.config.max_header_size:
                return 414
            return 431
        if "too many headers" in str(exc).lower():
            return 431
        return 400

    # ---- server --------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on the configured host and port; return the base URL."""
        config = self.config
        server = _Server(
            self._handle,
            max_line_size=config.max_url_size,
            max_field_size=config.max_header_size,
            max_headers=config.max_headers,
            logger=_quiet,
            access_log=None,
            keepalive_timeout=config.idle_timeout,
            auto_decompress=False,  # the host hands the body over as sent (Content-Encoding included)
        )
        server.front = self
        server.guard = ConnectionGuard(config.max_connections, config.header_timeout, self._connection_note)
        self._cut = asyncio.get_running_loop().create_future()
        runner = web.ServerRunner(server, shutdown_timeout=config.drain_timeout + _CUT_GRACE)
        await runner.setup()
        site = web.TCPSite(runner, config.http_host, config.http_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                f"cannot listen on {config.http_host}:{config.http_port}: "
                f"{exc.strerror or exc} (use --port to pick another port)"
            ) from None
        self._runner = runner
        self.base_url, self.listening = listening_urls(config.http_host, *runner.addresses[0][:2])
        return self.base_url

    def _connection_note(self, status: int | None, text: str) -> None:
        if status is None:
            self.console.warning(text)
        else:
            self.console.request("-", text, status, 0.0)

    async def stop(self) -> None:
        """Stop listening, let in-flight requests finish (drain timeout), answer those still
        running with 503, close connections."""
        if self._runner is not None:
            timer = asyncio.get_running_loop().call_later(self.config.drain_timeout, self._cut_running)
            try:
                await self._runner.cleanup()
            finally:
                timer.cancel()
            self._runner = None
        await self.proxy.close()

    def _cut_running(self) -> None:
        """The drain timeout has passed: requests still running are answered with 503."""
        if self._cut is not None and not self._cut.done():
            self._cut.set_result(None)

    # ---- requests ------------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        start = time.perf_counter()
        note = ""
        work = asyncio.ensure_future(self._dispatch(request))
        if self._cut is not None:
            try:
                await asyncio.wait((work, self._cut), return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                work.cancel()
                raise
        if not work.done():  # shutting down, and the drain timeout has passed
            work.cancel()
            response, note = self._cut_off(request)
        else:
            try:
                response, note = work.result()
            except Exception as exc:  # a bug here must still produce an answer
                response = plain(500, f"the local host failed to handle this request: {exc!r}")
                note = repr(exc)
        if self.config.cors is not None:
            self.config.cors.apply(response.headers, request.headers)
        self.console.request(
            request.method,
            _path(request),
            response.status,
            time.perf_counter() - start,
            note,
            request.get(_FUNCTION, ""),
        )
        return response

    async def _event_grid(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        """The Event Grid extension's webhook (eventgrid_webhook.py)."""
        from quickfunc.host.eventgrid_webhook import serve_webhook

        return await serve_webhook(self, request, _FUNCTION)

    def _cut_off(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        """The 503 for a request still running when the drain timeout ends."""
        match = self.routes.match(_path(request), request.method)
        name = match.target.name if isinstance(match, RouteMatch) else ""
        response = plain(
            503,
            "The local host is stopping and this request did not finish "
            f"within the drain timeout ({self.config.drain_timeout:g}s, "
            "--drain-timeout).",
        )
        response.force_close()
        running = f"function {name} " if name else ""
        return response, f"{running}still running at the end of the drain timeout; cut off"

    async def _dispatch(self, request: web.BaseRequest) -> tuple[web.StreamResponse, str]:
        cors = self.config.cors
        if cors is not None and is_preflight(request.method, request.headers):  # before routing, as ASP.NET
            return web.Response(status=204, headers=cors.preflight_headers(request.headers)), "CORS preflight"
        try:
            path = routing_path(request.rel_url.raw_path)
        except PathError as exc:
            return plain(400, f"Bad request path: {exc}."), ""
        admin = path.lower().startswith("/admin/")
        if admin and (early := self.admin.without_app(request, path)) is not None:
            return early, ""
        if not self.pool.app_ready:
            return _not_running(self.pool.problem()), "not running"
        if admin:
            return await self.admin.handle(request, path), ""
        if not self.open.is_set():  # answered by the code being loaded, unless that takes too long
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.open.wait(), self.config.worker_start_timeout)
        if path.lower().rstrip("/") == "/runtime/webhooks/eventgrid":
            return await self._event_grid(request)
        if self.durable is not None and path.lower().startswith(API_PREFIX):
            return await self.durable.handle(request, path), ""
        match = self.routes.match(path, request.method)
        if match is None:
            if path == "/" and request.method in ("GET", "HEAD"):
                return plain(200, "The quickfunc local host is running."), ""
            return plain(
                404,
                f"No function answers {printable(path, newlines=False)}. "
                f"Function URLs start with /{self.config.route_prefix}.",
            ), ""
        if isinstance(match, MethodNotAllowed):  # the host's routes match on the method too: 404
            allowed = ", ".join(match.allowed)
            return plain(
                404,
                f"No function answers {request.method} {printable(path, newlines=False)}: "
                f"its route takes {allowed} only.",
            ), f"(the route takes {allowed} only; the Functions host answers other methods with 404)"
        spec = match.target
        request[_FUNCTION] = spec.name
        if self.keys is not None:
            trigger = spec.trigger
            level = trigger.get("authLevel") if trigger else None
            if not self.keys.allows(
                str(level or "function"),
                spec.name,
                key_from_request(request.headers, request.query),
            ):
                return plain(
                    401,
                    f"{spec.name} needs a key: send it in the x-functions-key header or as ?code=.",
                ), ""
        if spec.error:
            return plain(500, f"Function {spec.name} cannot run: {spec.error}"), "not loaded"
        if spec.unserved:
            return plain(NOT_SERVED_STATUS, answer(spec.name, spec.unserved)), "not served (Durable Functions)"
        if self.pool.capabilities.get(HTTP_URI):  # HTTP streaming: the worker's server answers
            return await self.proxy.forward(request, spec, match.values)
        with self.bodies.hold() as hold:  # room for the body until the function has answered
            try:
                body = await read_body(request, self.config.max_body_size, hold)
            except BodyTooLarge:
                response = plain(
                    413,
                    f"The request body is larger than the limit of "
                    f"{self.config.max_body_size} bytes (--max-body-size).",
                )
                response.force_close()
                return response, ""
            except NoRoomForBody as exc:
                return no_room(exc), "no room for the body (--max-body-memory)"
            incoming = IncomingHttp(
                request.method,
                str(request.url),
                list(request.headers.items()),
                list(request.query.items()),
                match.values,
                body,
                request.headers.get("Content-Type", ""),
            )
            del body  # the invoker lets go of it once it is serialised for the worker
            inputs = http_inputs(spec, incoming, self.pool.capabilities)
            del incoming
            outcome = await self.invoker.invoke(spec, inputs)
        if outcome.unavailable:
            return _not_running(outcome.error), "no worker running"
        if not outcome.ok:
            return plain(
                500,
                f"Function {spec.name} failed (invocation {outcome.invocation_id}): {outcome.error}",
            ), outcome.error.splitlines()[0][:120]
        output = spec.http_output
        reply = reply_from_value(outcome.output(output.name)) if output else reply_without_output()
        if reply.dropped:  # the host's server refuses them, and Azure answers 500
            names = ", ".join(repr(name) for name in reply.dropped)
            why = (
                f"Function {spec.name} returned response headers that HTTP cannot carry: {names}. Header "
                "names and values must be printable ASCII (encode other text, e.g. filename*=UTF-8''...)."
            )
            self.console.error(why)
            return plain(500, why), "bad response header"
        return web.Response(status=reply.status, body=reply.body, headers=CIMultiDict(reply.headers)), ""
