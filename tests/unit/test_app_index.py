"""The v2 app index's care of an AsgiFunctionApp: first requests that arrive together share one
lifespan startup; a startup that failed is tried again by the next request, as the library does."""

from __future__ import annotations

import asyncio

from quickfunc.app_index import _lifespan_startup_once
from tests.helpers import run


class _Middleware:
    def __init__(self, results: list[bool]) -> None:
        self.results = results
        self.calls = 0

    async def notify_startup(self) -> bool:
        self.calls += 1
        await asyncio.sleep(0.01)  # the lifespan handshake takes a few loop turns
        return self.results.pop(0)


class _App:
    def __init__(self, results: list[bool]) -> None:
        self.middleware = _Middleware(results)


def test_requests_that_arrive_together_share_one_startup():
    app = _App([True])
    _lifespan_startup_once(app)
    _lifespan_startup_once(app)  # indexing again wraps nothing twice

    async def go() -> list[bool]:
        return list(await asyncio.gather(*(app.middleware.notify_startup() for _ in range(5))))

    assert run(go(), 10) == [True] * 5
    assert app.middleware.calls == 1


def test_a_failed_startup_is_tried_again_by_the_next_request():
    app = _App([False, True])
    _lifespan_startup_once(app)

    async def go() -> list[bool]:
        return [await app.middleware.notify_startup(), await app.middleware.notify_startup()]

    assert run(go(), 10) == [False, True]
    assert app.middleware.calls == 2


def test_an_app_without_an_asgi_middleware_is_left_alone():
    _lifespan_startup_once(None)
    _lifespan_startup_once(object())
