"""Fuzz target: a serviceBusTrigger input, annotated typing.List[func.ServiceBusMessage], async def."""
import typing

import azure.functions as func

from .. import fuzz_touch


async def main(msgs: typing.List[func.ServiceBusMessage]) -> None:
    fuzz_touch.touch(msgs)
