"""Fuzz target: a httpTrigger input, annotated func.HttpRequest, def."""
import azure.functions as func

from .. import fuzz_touch


def main(req: func.HttpRequest) -> None:
    fuzz_touch.touch(req)
