"""Fuzz target: a customThing input, unannotated, def."""
from .. import fuzz_touch


def main(item) -> None:
    fuzz_touch.touch(item)
