"""Fuzz target: a timerTrigger input, annotated func.TimerRequest, def."""
import azure.functions as func

from .. import fuzz_touch


def main(timer: func.TimerRequest) -> None:
    fuzz_touch.touch(timer)
