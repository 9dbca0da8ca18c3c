"""Fuzz target: a mcpToolTrigger input, unannotated, async def."""
from .. import fuzz_touch


async def main(call) -> None:
    fuzz_touch.touch(call)
