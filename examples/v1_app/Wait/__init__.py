"""An async function: awaits without holding up the worker's other requests."""

import asyncio
import logging

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    ms = int(req.route_params["ms"])
    await asyncio.sleep(ms / 1000)
    logging.info("waited %d ms", ms)
    return f"waited {ms} ms"
