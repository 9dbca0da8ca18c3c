"""Fuzz target: a entityTrigger input, unannotated, def."""
from .. import fuzz_touch


def main(ctx) -> None:
    fuzz_touch.touch(ctx)
