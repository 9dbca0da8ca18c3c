"""Benchmark: an async function that waits 50 ms (I/O-bound work), then echoes the HTTP body."""

import asyncio

import azure.functions as func


async def main(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0.05)
    return func.HttpResponse(req.get_body())
