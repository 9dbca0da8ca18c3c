"""Faults: one log record of `size` characters, then an answer."""
import logging

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    size = int(req.params.get("size", "1000"))
    logging.info("big %s", "x" * size)
    return f"logged {size}"
