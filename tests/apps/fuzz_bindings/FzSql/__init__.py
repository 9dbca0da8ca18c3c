"""Fuzz target: a sql input, annotated func.SqlRowList, def."""
import azure.functions as func

from .. import fuzz_touch


def main(rows: func.SqlRowList) -> None:
    fuzz_touch.touch(rows)
