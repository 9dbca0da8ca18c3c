"""Loads and answers: the functions that kill the worker at import must not take it down."""
import os


def main(req) -> str:
    return f"good from {os.getpid()}"
