"""Soak: a fast plain `def` function that echoes its token."""
import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return f"echo {req.params['t']}"
