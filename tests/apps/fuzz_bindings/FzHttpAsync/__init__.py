"""Fuzz target: a httpTrigger input, annotated func.HttpRequest, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(req: func.HttpRequest) -> None:
    fuzz_touch.touch(req)
