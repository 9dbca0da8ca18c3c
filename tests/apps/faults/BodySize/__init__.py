"""Faults: answers the size of the request body."""
import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return f"{len(req.get_body())} bytes"
