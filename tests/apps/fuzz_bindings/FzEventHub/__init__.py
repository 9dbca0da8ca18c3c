"""Fuzz target: a eventHubTrigger input, annotated func.EventHubEvent, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(event: func.EventHubEvent) -> None:
    fuzz_touch.touch(event)
