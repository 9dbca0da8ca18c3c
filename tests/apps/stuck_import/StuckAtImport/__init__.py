"""A function whose module is stuck at import until the test releases it."""

import azure.functions as func
from gate import wait_for_release

wait_for_release()


def main(req: func.HttpRequest) -> str:
    return "released"
