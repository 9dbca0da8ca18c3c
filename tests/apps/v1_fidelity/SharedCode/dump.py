"""Shared by the functions of the app: renders a request as text."""


def describe(req) -> str:
    return f"{req.method} {req.url}"
