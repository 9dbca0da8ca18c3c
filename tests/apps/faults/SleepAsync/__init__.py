"""Faults: an `async def` function that sleeps `seconds` (logs when it starts and ends)."""
import asyncio
import logging

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    seconds = float(req.params.get("seconds", "1"))
    logging.info("started, sleeping %s s", seconds)
    await asyncio.sleep(seconds)
    logging.info("finished")
    return f"slept {seconds}"
