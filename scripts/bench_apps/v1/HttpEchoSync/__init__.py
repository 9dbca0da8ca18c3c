"""Benchmark: echo the HTTP body from a plain def (runs in the worker's thread pool)."""

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())
