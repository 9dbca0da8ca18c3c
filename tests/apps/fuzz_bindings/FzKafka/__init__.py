"""Fuzz target: a kafkaTrigger input, annotated func.KafkaEvent, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(event: func.KafkaEvent) -> None:
    fuzz_touch.touch(event)
