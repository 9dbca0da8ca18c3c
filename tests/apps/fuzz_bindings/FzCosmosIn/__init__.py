"""Fuzz target: a cosmosDB input, annotated func.DocumentList, def."""
import azure.functions as func

from .. import fuzz_touch


def main(docs: func.DocumentList) -> None:
    fuzz_touch.touch(docs)
