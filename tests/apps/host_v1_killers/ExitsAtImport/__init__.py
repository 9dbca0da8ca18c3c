"""Importing this module ends the worker process at once."""
import os

os._exit(3)


def main(req) -> str:
    return "never"
