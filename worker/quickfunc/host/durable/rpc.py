"""The API's RPC side, as the extension's local RPC endpoint: a listener on a loopback port of its
own, where the library's durable client calls the API without a key (it cannot send one)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from quickfunc.host.durable import API_PREFIX

__all__ = ["RpcListener", "RPC_MARK"]

#: set on a request that came in on the RPC side
RPC_MARK = "quickfunc.durable.rpc"

Serve = Callable[[web.BaseRequest, str], Awaitable[web.StreamResponse]]


class RpcListener:
    """A loopback socket bound at once (its URL is known before the server runs)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}{API_PREFIX}"
        self._runner: web.ServerRunner | None = None

    async def start(self, serve: Serve) -> None:
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            path = request.rel_url.raw_path
            if not path.startswith(API_PREFIX):
                return web.Response(status=404)
            request[RPC_MARK] = True
            return await serve(request, path)

        self._runner = web.ServerRunner(web.Server(handle), handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        else:
            self._sock.close()
