"""Fuzz target: a queueTrigger input, annotated func.QueueMessage, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(msg: func.QueueMessage) -> None:
    fuzz_touch.touch(msg)
