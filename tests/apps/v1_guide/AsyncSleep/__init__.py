import asyncio
import time

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    start = time.monotonic()
    await asyncio.sleep(0.5)
    return f'{start} {time.monotonic()}'
