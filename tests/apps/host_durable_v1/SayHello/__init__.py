"""The v1 (function.json) Durable quickstart's activity."""


def main(name: str) -> str:
    return f"Hello {name}!"
