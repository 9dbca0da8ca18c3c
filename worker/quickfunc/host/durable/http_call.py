"""Durable HTTP (``context.call_http``): the host makes the request the orchestrator asked for and
gives back the extension's DurableHttpResponse (statusCode, headers, content); a 202 with a
Location header is polled until it ends, as the extension's asynchronous pattern does."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["HttpCallError", "perform"]

#: how long to wait between polls of a 202 that gives no Retry-After (the extension's default)
_DEFAULT_POLL_SECONDS = 30.0
#: the extension's default timeout of a durable HTTP call, polling included
_TIMEOUT_SECONDS = 240.0


class HttpCallError(Exception):
    """The call could not be made (its message becomes the task's failure reason)."""


@dataclass
class _Request:
    method: str
    uri: str
    content: str | None
    headers: dict[str, str]


def _read(request_text: str | None) -> _Request:
    try:
        data = json.loads(request_text or "{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise HttpCallError("the durable HTTP request is not a JSON object")
    if data.get("tokenSource"):
        raise HttpCallError(
            "call_http with a token source (managed identity) is not supported by the quickfunc local host; "
            "pass the Authorization header yourself"
        )
    method, uri = str(data.get("method") or "GET").upper(), str(data.get("uri") or "")
    if not uri.lower().startswith(("http://", "https://")):
        raise HttpCallError(f"call_http needs an absolute http(s) URI (got {uri!r})")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        raise HttpCallError("call_http headers must be a mapping of names to values")
    content = data.get("content")
    text = None if content is None else str(content)
    return _Request(method, uri, text, {str(k): str(v) for k, v in headers.items()})


def _headers(raw: Any) -> dict[str, Any]:
    """Response headers as the extension writes them: one value as a string, several as a list."""
    shown: dict[str, Any] = {}
    for name in raw.keys():
        if name in shown:
            continue
        values = raw.getall(name)
        shown[name] = values[0] if len(values) == 1 else list(values)
    return shown


def _pause(retry_after: str | None, left: float) -> float:
    try:
        seconds = float(retry_after) if retry_after is not None else _DEFAULT_POLL_SECONDS
    except ValueError:
        seconds = _DEFAULT_POLL_SECONDS
    return max(0.0, min(seconds, left))


async def perform(request_text: str | None) -> str:
    """Make the call; the DurableHttpResponse JSON text. HttpCallError when it cannot be made."""
    call = _read(request_text)
    deadline = time.monotonic() + _TIMEOUT_SECONDS
    timeout = aiohttp.ClientTimeout(total=_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            data = call.content.encode("utf-8") if call.content is not None else None
            async with session.request(call.method, call.uri, data=data, headers=call.headers) as reply:
                body = await reply.text(errors="replace")
                status, headers = reply.status, reply.headers
            # the asynchronous pattern: a 202 with a Location is polled with GET until it ends
            while status == 202 and headers.get("Location") and time.monotonic() < deadline:
                await asyncio.sleep(_pause(headers.get("Retry-After"), deadline - time.monotonic()))
                location = str(reply.url.join(aiohttp.client.URL(headers["Location"])))
                async with session.get(location, headers=call.headers) as reply:
                    body = await reply.text(errors="replace")
                    status, headers = reply.status, reply.headers
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        raise HttpCallError(f"{call.method} {call.uri} failed: {exc or type(exc).__name__}") from None
    return json.dumps({"statusCode": status, "headers": _headers(headers), "content": body})
