"""Soak: a plain `def` function that raises."""
import azure.functions as func


def main(req: func.HttpRequest) -> str:
    raise ValueError(f"soak failure {req.params['t']}")
