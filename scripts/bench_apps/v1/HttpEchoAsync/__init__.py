"""Benchmark: echo the HTTP body from an async def (runs on the worker's event loop)."""

import azure.functions as func


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())
