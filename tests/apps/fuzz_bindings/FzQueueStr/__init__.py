"""Fuzz target: a queueTrigger input, annotated str, def."""
from .. import fuzz_touch


def main(msg: str) -> None:
    fuzz_touch.touch(msg)
