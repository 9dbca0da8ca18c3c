"""Faults: a plain `def` function that calls sys.exit()."""
import sys

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    sys.exit(3)
