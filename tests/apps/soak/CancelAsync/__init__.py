"""Soak: an `async def` function that sleeps far longer than the host waits before cancelling it."""
import asyncio

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    await asyncio.sleep(60)
    return f"not cancelled {req.params['t']}"
