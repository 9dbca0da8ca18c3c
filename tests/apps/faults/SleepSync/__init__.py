"""Faults: a plain `def` function that sleeps `seconds` in its pool thread."""
import logging
import time

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    seconds = float(req.params.get("seconds", "1"))
    logging.info("started, sleeping %s s", seconds)
    time.sleep(seconds)
    logging.info("finished")
    return f"slept {seconds}"
