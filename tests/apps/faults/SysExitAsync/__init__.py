"""Faults: an `async def` function that calls sys.exit() with a message."""
import sys

import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    sys.exit("giving up")
