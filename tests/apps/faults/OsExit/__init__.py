"""Faults: a function that ends the whole process with os._exit()."""
import os

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    os._exit(7)
