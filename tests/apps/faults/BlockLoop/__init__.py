"""Faults: an `async def` function that blocks the event loop (time.sleep instead of asyncio.sleep)."""
import time

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    time.sleep(float(req.params.get("seconds", "2")))
    return "unblocked"
