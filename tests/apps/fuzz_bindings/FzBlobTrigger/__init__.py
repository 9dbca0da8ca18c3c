"""Fuzz target: a blobTrigger input, annotated func.InputStream, def."""
import azure.functions as func

from .. import fuzz_touch


def main(blob: func.InputStream) -> None:
    fuzz_touch.touch(blob)
