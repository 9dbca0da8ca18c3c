"""Soak: a fast `async def` function; with `y=1` it yields to the loop once before answering."""
import asyncio

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    if req.params.get("y"):
        await asyncio.sleep(0)
    return f"echo {req.params['t']}"
