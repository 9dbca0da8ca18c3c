"""Fuzz target: a customThing input, annotated str, async def."""
from .. import fuzz_touch


async def main(item: str) -> None:
    fuzz_touch.touch(item)
