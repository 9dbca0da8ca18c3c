"""Fuzz target: a cosmosDBTrigger input, annotated func.DocumentList, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(docs: func.DocumentList) -> None:
    fuzz_touch.touch(docs)
