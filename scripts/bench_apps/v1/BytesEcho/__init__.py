"""Benchmark: echo a large HTTP body (1 MiB, 16 MiB) from an async def; measures copies, not code."""

import azure.functions as func


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())
