"""Soak: a plain `def` function that logs `n` numbered lines."""
import logging

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    token, count = req.params["t"], int(req.params["n"])
    for i in range(count):
        logging.info("soak-log %s %d", token, i)
    return f"logged {count}"
