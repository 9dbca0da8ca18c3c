"""A queueTrigger annotated str has no implicit output either."""


def main(msg: str) -> str:
    return "returned anyway: " + msg
