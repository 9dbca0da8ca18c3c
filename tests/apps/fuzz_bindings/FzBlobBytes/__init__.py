"""Fuzz target: a blobTrigger input, annotated bytes, async def."""
from .. import fuzz_touch


async def main(blob: bytes) -> None:
    fuzz_touch.touch(blob)
