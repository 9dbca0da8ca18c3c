"""Fuzz target: a blob input, annotated func.InputStream, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(blob: func.InputStream) -> None:
    fuzz_touch.touch(blob)
