"""Soak: an `async def` function that raises after yielding to the loop."""
import asyncio

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    await asyncio.sleep(0)
    raise ValueError(f"soak failure {req.params['t']}")
