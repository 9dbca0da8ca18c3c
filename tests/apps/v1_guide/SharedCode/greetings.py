def greet(name: str) -> str:
    return f'Greetings, {name} (from {__name__})'
