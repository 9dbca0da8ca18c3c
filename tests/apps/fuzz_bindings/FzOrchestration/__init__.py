"""Fuzz target: a orchestrationTrigger input, unannotated, async def."""
from .. import fuzz_touch


async def main(ctx) -> None:
    fuzz_touch.touch(ctx)
