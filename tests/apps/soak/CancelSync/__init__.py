"""Soak: a plain `def` function that sleeps past the host's cancel (its thread cannot be stopped)."""
import time

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    time.sleep(float(req.params.get("s", "1")))
    return f"not cancelled {req.params['t']}"
