"""Faults: one invocation writes `count` log records."""
import logging

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    count = int(req.params.get("count", "10000"))
    for i in range(count):
        logging.info("flood %d", i)
    return f"logged {count}"
