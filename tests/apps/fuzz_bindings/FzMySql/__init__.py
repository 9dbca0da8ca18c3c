"""Fuzz target: a mysql input, annotated func.MySqlRowList, async def."""
import azure.functions as func

from .. import fuzz_touch


async def main(rows: func.MySqlRowList) -> None:
    fuzz_touch.touch(rows)
