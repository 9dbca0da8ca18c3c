"""Fuzz target: a httpTrigger input, unannotated, async def."""
from .. import fuzz_touch


async def main(req) -> None:
    fuzz_touch.touch(req)
