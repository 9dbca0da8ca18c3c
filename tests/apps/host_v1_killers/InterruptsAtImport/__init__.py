"""Importing this module raises KeyboardInterrupt, which no `except Exception` catches."""
raise KeyboardInterrupt("InterruptsAtImport was interrupted while being imported")


def main(req) -> str:
    return "never"
