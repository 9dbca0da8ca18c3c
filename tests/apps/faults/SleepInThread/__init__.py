"""Faults: an `async def` function that waits for blocking work moved off the loop (asyncio.to_thread)."""
import asyncio
import logging
import time

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    seconds = float(req.params.get("seconds", "1"))
    logging.info("started, sleeping %s s in a thread", seconds)
    await asyncio.to_thread(time.sleep, seconds)
    logging.info("finished")
    return f"slept {seconds}"
