"""Fuzz target: a eventGridTrigger input, annotated func.EventGridEvent, def."""
import azure.functions as func

from .. import fuzz_touch


def main(event: func.EventGridEvent) -> None:
    fuzz_touch.touch(event)
