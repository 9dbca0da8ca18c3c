"""A durableClient annotated str has no implicit output: returning a value has nowhere to go."""

import azure.functions as func


def main(req: func.HttpRequest, starter: str) -> str:
    return "returned anyway: " + starter
