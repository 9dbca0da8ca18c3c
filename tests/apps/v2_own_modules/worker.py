"""The app's own `worker` module: must not be shadowed by the language worker."""


def do_work(x: str) -> str:
    return f"worked:{x}"
