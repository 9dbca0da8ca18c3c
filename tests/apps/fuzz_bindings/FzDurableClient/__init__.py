"""Fuzz target: a durableClient input, annotated str, async def."""
from .. import fuzz_touch


async def main(client: str) -> None:
    fuzz_touch.touch(client)
