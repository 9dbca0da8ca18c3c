"""Fuzz target: a eventHub input, annotated func.EventHubEvent, def."""
import azure.functions as func

from .. import fuzz_touch


def main(event: func.EventHubEvent) -> None:
    fuzz_touch.touch(event)
