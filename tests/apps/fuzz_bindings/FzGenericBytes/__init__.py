"""Fuzz target: a customThing input, annotated bytes, def."""
from .. import fuzz_touch


def main(item: bytes) -> None:
    fuzz_touch.touch(item)
