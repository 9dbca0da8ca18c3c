"""Connection limits of the HTTP front that aiohttp lacks: a deadline for each request head, and a
bound on open connections (at the bound an idle one makes room, else the new one is refused)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web_protocol

__all__ = ["ConnectionGuard", "GuardedConnection"]

#: repeated notices of one kind within this many seconds are counted, not printed
_QUIET_SECONDS = 2.0
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\nRetry-After: 1\r\nContent-Length: %d\r\n\r\n%s"
)
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)

#: (status or None, text) -> shown on the console
Reporter = Callable[["int | None", str], None]


def _response(template: bytes, text: str) -> bytes:
    body = (text + "\n").encode()
    return template % (len(body), body)


class ConnectionGuard:
    """Shared by the connections of one server: counts them and says what it cut."""

    def __init__(self, max_connections: int, header_timeout: float, report: Reporter) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self._report = report
        #: open connections, oldest first
        self.open: dict[GuardedConnection, None] = {}
        self._quiet: dict[str, tuple[float, int]] = {}

    def admit(self, connection: GuardedConnection) -> bool:
        """Room for one more: at the bound, close the oldest connection waiting for a request
        (idle keep-alive, or a head still arriving); False when every one is busy."""
        if len(self.open) >= self.max_connections:
            victim = next((c for c in self.open if c.waiting), None)
            if victim is None:
                self.note(
                    "refused",
                    503,
                    f"(connection refused: all {self.max_connections} connections are busy; --max-connections)",
                )
                return False
            self.forget(victim)
            victim.force_close()
            self.note(
                "evicted",
                None,
                f"{self.max_connections} connections open "
                "(--max-connections): closed the longest-waiting one "
                "that had no request running, to make room",
            )
        self.open[connection] = None
        return True

    def forget(self, connection: GuardedConnection) -> None:
        self.open.pop(connection, None)

    def note(self, kind: str, status: int | None, text: str) -> None:
        """Report, but at most once per _QUIET_SECONDS per kind (with a count of the rest)."""
        now = time.monotonic()
        last, hidden = self._quiet.get(kind, (float("-inf"), 0))
        if now - last < _QUIET_SECONDS:
            self._quiet[kind] = (last, hidden + 1)
            return
        self._quiet[kind] = (now, 0)
        if hidden:
            text += f" (and {hidden} more like it in the last {now - last:.0f}s)"
        self._report(status, text)


class GuardedConnection(web_protocol.RequestHandler):
    """aiohttp's connection handler, with the guard's bound and a request-head deadline.

    aiohttp's ``keepalive_timeout`` runs from the connection's start or its last response until
    the next whole request head, and bytes do not reset it: it is the idle timeout. The head
    deadline here starts with the first byte of a head, so a dripping head is cut well before an
    idle connection would be."""

    _guard: ConnectionGuard | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _heads_seen = 0
    _answered = 0

    @property
    def _heads(self) -> int:
        """Request heads parsed on this connection so far (aiohttp counts them)."""
        return getattr(self, "_request_count", 0)

    @property
    def waiting(self) -> bool:
        """Every request head received has been answered: the connection is new, idle, or a
        head is still arriving."""
        return self._heads <= self._answered

    async def finish_response(self, request: Any, resp: Any, start_time: Any) -> Any:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._answered += 1

    def connection_made(self, transport: Any) -> None:
        guard = getattr(getattr(self, "_manager", None), "guard", None)
        if isinstance(guard, ConnectionGuard) and not guard.admit(self):
            try:
                transport.write(_response(_REFUSED, "The local host has too many open connections; try again."))
            finally:
                transport.close()
            self._manager = None  # connection_lost then has nothing to undo
            return
        self._guard = guard if isinstance(guard, ConnectionGuard) else None
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_head_timer()
        if self._guard is not None:
            self._guard.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        before = self._heads
        super().data_received(data)
        guard = self._guard
        if guard is None:
            return
        if self._heads != before:
            self._stop_head_timer()  # the head is complete
        elif data and self._head_timer is None and self.waiting:
            self._heads_seen = before
            self._head_timer = self._loop.call_later(guard.header_timeout, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        guard = self._guard
        if guard is None or not self.waiting or self.transport is None or self._heads != self._heads_seen:
            return
        seconds = guard.header_timeout
        self.transport.write(
            _response(
                _TIMED_OUT,
                f"The request head (request line and headers) did not arrive within {seconds:g}s.",
            )
        )
        guard.forget(self)
        self.force_close()
        guard.note(
            "head-timeout",
            408,
            f"(request head not received within {seconds:g}s; --header-timeout)",
        )
