"""Fuzz target: a kafkaTrigger input, annotated typing.List[func.KafkaEvent], def."""
import typing

import azure.functions as func

from .. import fuzz_touch


def main(events: typing.List[func.KafkaEvent]) -> None:
    fuzz_touch.touch(events)
