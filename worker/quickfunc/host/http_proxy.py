"""HTTP streaming (protocol §13): a worker that advertises ``HttpUri`` gets each request of an HTTP
function forwarded to its own server, streamed both ways, with an InvocationRequest carrying only
the route values; the client's answer is that server's response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from quickfunc.host.admin import plain
from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.invocations import Inputs
from quickfunc.host.invoker import Invoker, Outcome
from quickfunc.protos import pb

if TYPE_CHECKING:
    from quickfunc.host.pool import WorkerSlot

__all__ = ["HttpProxy", "CAPABILITY", "INVOCATION_HEADER"]

#: the worker capability naming its HTTP server
CAPABILITY = "HttpUri"
#: the header that tells the worker's server which invocation a request belongs to
INVOCATION_HEADER = "x-ms-invocation-id"
#: the host's proxy gives up on a worker's server that stays silent this long (YARP ActivityTimeout)
ACTIVITY_TIMEOUT = 240.0
#: the worker's server starts as its init answer leaves: a refused connection is tried again so long
_CONNECT_PATIENCE = 5.0
#: headers that belong to one connection, not to the request or response (RFC 9110 §7.6.1)
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "expect",
    }
)


class _TooLarge(Exception):
    """The streamed body passed the host's body size limit."""


def _end_to_end(headers: Mapping[str, str], skip: frozenset[str] = _HOP_BY_HOP) -> CIMultiDict[str]:
    named = {v.strip().lower() for v in headers.get("Connection", "").split(",") if v.strip()}
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in skip and k.lower() not in named)


def streaming_inputs(spec: FunctionSpec, route_values: Mapping[str, str]) -> Inputs:
    """The InvocationRequest's inputs: an RpcHttp with the route values only (the request itself
    goes to the worker's server), and the route values as trigger metadata."""
    trigger = spec.trigger
    assert trigger is not None
    inputs = Inputs({trigger.name: pb.TypedData(http=pb.RpcHttp(params=dict(route_values)))})
    for name, value in route_values.items():
        inputs.trigger_metadata[name] = pb.TypedData(string=value)
    return inputs


class HttpProxy:
    """Forwards requests of HTTP functions to the worker's server chosen for each invocation."""

    def __init__(self, config: HostConfig, invoker: Invoker) -> None:
        self.config = config
        self.invoker = invoker
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                auto_decompress=False,  # the bytes go on as the worker's server sent them
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def forward(
        self, request: web.BaseRequest, spec: FunctionSpec, route_values: Mapping[str, str]
    ) -> tuple[web.StreamResponse, str]:
        """Invoke `spec` and stream `request` to the chosen worker's server and its answer back.
        Returns the response (sent already when it streamed) and a note for the console."""
        limit = self.config.max_body_size
        if request.content_length is not None and request.content_length > limit:
            return self._too_large(), ""
        loop = asyncio.get_running_loop()
        chosen: asyncio.Future[tuple[WorkerSlot, str]] = loop.create_future()

        def on_slot(slot: WorkerSlot, invocation_id: str) -> None:
            if not chosen.done():
                chosen.set_result((slot, invocation_id))

        invocation = asyncio.ensure_future(self.invoker.invoke(spec, streaming_inputs(spec, route_values), on_slot))
        try:
            await asyncio.wait((chosen, invocation), return_when=asyncio.FIRST_COMPLETED)
            if not chosen.done():  # no worker took it
                return _failed(spec, invocation.result())
            slot, invocation_id = chosen.result()
            uri = slot.capabilities.get(CAPABILITY, "")
            if not uri:
                invocation.cancel()
                return plain(
                    500, f"Function {spec.name} cannot run: {slot.label} runs no HTTP server ({CAPABILITY})."
                ), ""
            return await self._exchange(request, spec, uri, invocation_id, invocation)
        except asyncio.CancelledError:  # the host is stopping (drain timeout): the invocation goes too
            invocation.cancel()
            raise
        finally:
            if not invocation.done():
                await asyncio.wait((invocation,))  # it ends with the function (or functionTimeout)

    async def _exchange(
        self,
        request: web.BaseRequest,
        spec: FunctionSpec,
        uri: str,
        invocation_id: str,
        invocation: asyncio.Future[Outcome],
    ) -> tuple[web.StreamResponse, str]:
        body = _Body(request, self.config.max_body_size)
        headers = _end_to_end(request.headers)
        headers[INVOCATION_HEADER] = invocation_id
        sending = asyncio.ensure_future(self._send(request.method, uri + request.rel_url.raw_path_qs, headers, body))
        try:
            await asyncio.wait((sending, invocation), return_when=asyncio.FIRST_COMPLETED)
            if not sending.done():
                outcome = invocation.result()
                if not outcome.ok:  # the function failed before its server answered
                    sending.cancel()
                    return _failed(spec, outcome)
            try:
                upstream = await sending
            except _TooLarge:
                return self._too_large(), ""
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                return plain(
                    502 if invocation.done() and invocation.result().ok else 500,
                    f"Function {spec.name} (invocation {invocation_id}): the worker's HTTP server at {uri} "
                    f"did not answer: {type(exc).__name__}: {exc}",
                ), "the worker's HTTP server did not answer"
            return await self._relay(request, upstream)
        finally:
            if not sending.done():
                sending.cancel()
                await asyncio.wait((sending,))

    async def _send(self, method: str, url: str, headers: CIMultiDict[str], body: _Body) -> aiohttp.ClientResponse:
        """The worker server's response (headers read, body not); a refused connection is tried
        again for a little while, as long as none of the body has been taken."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _CONNECT_PATIENCE
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=_CONNECT_PATIENCE, sock_read=ACTIVITY_TIMEOUT)
        while True:
            try:
                return await self._client().request(
                    method,
                    url,
                    headers=headers,
                    data=body.stream() if body.present else None,
                    allow_redirects=False,
                    timeout=timeout,
                )
            except aiohttp.ClientConnectorError:
                if body.started or loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)
            except aiohttp.ClientPayloadError as exc:
                if isinstance(exc.__cause__, _TooLarge) or body.too_large:
                    raise _TooLarge() from None
                raise
            except aiohttp.ClientOSError:
                if body.too_large:
                    raise _TooLarge() from None
                raise

    async def _relay(
        self, request: web.BaseRequest, upstream: aiohttp.ClientResponse
    ) -> tuple[web.StreamResponse, str]:
        """Send the worker server's status and headers, then its body chunk by chunk as it comes."""
        try:
            return await self._relay_body(request, upstream)
        finally:
            upstream.release()

    async def _relay_body(
        self, request: web.BaseRequest, upstream: aiohttp.ClientResponse
    ) -> tuple[web.StreamResponse, str]:
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        response.headers.extend(_end_to_end(upstream.headers))
        if self.config.cors is not None:
            self.config.cors.apply(response.headers, request.headers)
        if upstream.content_length is None and request.version >= (1, 1):
            response.enable_chunked_encoding()
        try:
            await response.prepare(request)
        except (ConnectionError, RuntimeError):
            return response, "the client went away"
        try:
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            _cut(request, response)  # after the headers, the host can only cut the connection
            note = f"the worker's HTTP server broke off its response ({type(exc).__name__}); connection cut"
            return response, note
        except (ConnectionError, RuntimeError):
            return response, "the client went away"
        try:
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            return response, "the client went away"
        return response, ""

    def _too_large(self) -> web.StreamResponse:
        response = plain(
            413,
            f"The request body is larger than the limit of {self.config.max_body_size} bytes (--max-body-size).",
        )
        response.force_close()
        return response


class _Body:
    """The client's request body, passed on as it arrives (never held whole), within the limit."""

    def __init__(self, request: web.BaseRequest, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.present = bool(request.body_exists)
        self.started = False
        self.too_large = False

    async def stream(self) -> AsyncIterator[bytes]:
        self.started = True
        request = self.request
        if request.headers.get("Expect", "").lower() == "100-continue" and request.version >= (1, 1):
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > self.limit:
                self.too_large = True
                raise _TooLarge()
            yield chunk


def _failed(spec: FunctionSpec, outcome: Outcome) -> tuple[web.StreamResponse, str]:
    if outcome.unavailable:
        return plain(503, f"Function host is not running: {outcome.error}"), "no worker running"
    return plain(
        500, f"Function {spec.name} failed (invocation {outcome.invocation_id}): {outcome.error}"
    ), outcome.error.splitlines()[0][:120] if outcome.error else ""


def _cut(request: web.BaseRequest, response: web.StreamResponse) -> None:
    response.force_close()
    transport = request.transport
    if transport is not None:
        transport.abort()
