"""Fuzz target: a activityTrigger input, unannotated, def."""
from .. import fuzz_touch


def main(payload) -> None:
    fuzz_touch.touch(payload)
