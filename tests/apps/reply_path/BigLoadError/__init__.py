"""Reply path: fails to load with an error text of 20 000 characters."""
import azure.functions as func

raise ImportError("this function cannot be loaded: " + "x" * 20000)


def main(req: func.HttpRequest) -> str:
    return "never"
