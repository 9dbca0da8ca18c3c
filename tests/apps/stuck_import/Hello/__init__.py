"""The function that must load and run while another module is stuck at import."""

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return "hello"
