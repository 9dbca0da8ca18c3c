"""Faults: logs a text holding a lone surrogate, as os.fsdecode() makes of an undecodable file name."""
import logging
import os

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    name = os.fsdecode(b"report-\xff.csv")
    logging.info("cannot open %s", name)
    return "logged"
