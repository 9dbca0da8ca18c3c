"""Fuzz target: a serviceBusTrigger input, annotated func.ServiceBusMessage, def."""
import azure.functions as func

from .. import fuzz_touch


def main(msg: func.ServiceBusMessage) -> None:
    fuzz_touch.touch(msg)
