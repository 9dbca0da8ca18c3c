"""Faults: the quick function that shows the worker still serves."""
import azure.functions as func


async def main(req: func.HttpRequest) -> str:
    return "hello"
