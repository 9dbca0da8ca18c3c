"""Soak: an `async def` function that logs `n` numbered lines, the second half from a task it starts."""
import asyncio
import logging

import azure.functions as func


async def _log_range(token: str, start: int, stop: int) -> None:
    for i in range(start, stop):
        logging.info("soak-log %s %d", token, i)
        if i % 4 == 0:
            await asyncio.sleep(0)


async def main(req: func.HttpRequest) -> str:
    token, count = req.params["t"], int(req.params["n"])
    half = count // 2
    for i in range(half):
        logging.info("soak-log %s %d", token, i)
    await asyncio.create_task(_log_range(token, half, count))
    return f"logged {count}"
