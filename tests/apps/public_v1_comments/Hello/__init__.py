"""A v1 HTTP function whose function.json has comments."""

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return f"hello {req.params.get('name', 'world')}"
