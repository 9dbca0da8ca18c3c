"""Code shared by the app and its blueprints."""


def greeting(where: str) -> str:
    return f"hello from {where}"
