"""Fuzz target: a warmupTrigger input, annotated WarmUpContext, def."""
from azure.functions.warmup import WarmUpContext

from .. import fuzz_touch


def main(warmup: WarmUpContext) -> None:
    fuzz_touch.touch(warmup)
