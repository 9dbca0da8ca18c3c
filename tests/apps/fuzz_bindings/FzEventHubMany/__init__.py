"""Fuzz target: a eventHubTrigger input, annotated typing.List[func.EventHubEvent], def."""
import typing

import azure.functions as func

from .. import fuzz_touch


def main(events: typing.List[func.EventHubEvent]) -> None:
    fuzz_touch.touch(events)
