def shout(x: str) -> str:
    return x.upper()
