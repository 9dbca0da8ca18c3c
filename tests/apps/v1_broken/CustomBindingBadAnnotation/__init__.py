import azure.functions as func


def main(item: func.HttpRequest) -> None:
    pass
