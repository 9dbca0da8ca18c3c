"""Soak: an `async def` function that blocks the event loop for a few milliseconds (a user mistake)."""
import time

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    time.sleep(float(req.params.get("ms", "5")) / 1000)
    return f"blocked {req.params['t']}"
