"""Request bodies: read once into one buffer, refused over --max-body-size, and held only while
all bodies in flight fit in --max-body-memory (a body waits for room, bounded, then gets 503)."""

from __future__ import annotations

import asyncio
import collections

from aiohttp import web

__all__ = ["BodyTooLarge", "NoRoomForBody", "BodyBudget", "BodyHold", "SMALL_BODY", "read_body"]

#: bodies up to this size are not counted and never wait (their memory is bounded by the
#: number of connections)
SMALL_BODY = 64 * 1024
#: how much more a body of unknown length (chunked) reserves at a time
_GROWTH = 1024 * 1024


class BodyTooLarge(Exception):
    """The request body is larger than --max-body-size."""


class NoRoomForBody(Exception):
    """The bodies in flight left no room for this one within the wait timeout."""

    def __init__(self, needed: int, held: int, limit: int, waited: float) -> None:
        self.needed = needed
        super().__init__(
            f"The local host is busy: request bodies in flight already take {held} of "
            f"{limit} bytes (--max-body-memory), and this body ({needed} bytes) found no room "
            f"within {waited:g}s. Try again shortly."
        )


class BodyBudget:
    """The bytes of request bodies the host holds at once; first come, first served."""

    def __init__(self, limit: int, wait_timeout: float) -> None:
        self.limit = limit
        self.wait_timeout = wait_timeout
        self.held = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def hold(self) -> BodyHold:
        """A new, empty share for one request (release it when the request is done)."""
        return BodyHold(self)

    @property
    def waiting(self) -> int:
        return sum(1 for _, fut in self._waiters if not fut.done())

    async def _take(self, amount: int, first: bool) -> None:
        if not self._waiters and self.held + amount <= self.limit:
            self.held += amount
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (amount, fut)
        # a body already being read goes first: it holds room that others wait for
        (self._waiters.appendleft if first else self._waiters.append)(entry)
        self._grant()
        try:
            await asyncio.wait_for(fut, self.wait_timeout)
        except BaseException:
            if fut.done() and not fut.cancelled():  # granted just as the wait ended
                self._give_back(amount)
            else:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
                self._grant()  # those behind may fit now
            raise

    def _give_back(self, amount: int) -> None:
        self.held -= amount
        self._grant()

    def _grant(self) -> None:
        waiters = self._waiters
        while waiters:
            amount, fut = waiters[0]
            if fut.done():
                waiters.popleft()
                continue
            if self.held + amount > self.limit:
                return
            waiters.popleft()
            self.held += amount
            fut.set_result(None)


class BodyHold:
    """One request's share of the budget: it grows as the body is read, up to the body's size."""

    def __init__(self, budget: BodyBudget) -> None:
        self.budget = budget
        self.size = 0

    async def reserve(self, total: int) -> None:
        """Make this share at least ``total`` bytes, waiting for room; NoRoomForBody if none
        comes in time."""
        extra = total - self.size
        if extra <= 0:
            return
        budget = self.budget
        try:
            await budget._take(extra, first=self.size > 0)
        except asyncio.TimeoutError:
            raise NoRoomForBody(total, budget.held, budget.limit, budget.wait_timeout) from None
        self.size = total

    def release(self) -> None:
        if self.size:
            size, self.size = self.size, 0
            self.budget._give_back(size)

    def __enter__(self) -> BodyHold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


async def read_body(request: web.BaseRequest, limit: int, hold: BodyHold | None = None) -> bytearray:
    """The whole body in one buffer, refusing (before or while reading) anything over ``limit``
    bytes; with ``hold``, room for the body is reserved first (NoRoomForBody if none comes)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge()
    if hold is not None and declared is not None and declared > SMALL_BODY:
        await hold.reserve(declared)
    if request.headers.get("Expect", "").lower() == "100-continue" and request.version >= (1, 1):
        # the client waits for this before sending the body (curl does for large bodies)
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = bytearray()  # grows in place (large buffers are remapped, not copied)
    async for chunk in request.content.iter_any():
        size = len(body) + len(chunk)
        if size > limit:
            raise BodyTooLarge()
        if hold is not None and size > max(hold.size, SMALL_BODY):  # more than announced
            await hold.reserve(min(limit, size + _GROWTH))
        body += chunk
    return body
