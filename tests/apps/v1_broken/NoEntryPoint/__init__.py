import azure.functions as func


def handler(req: func.HttpRequest) -> str:
    return 'the entry point should have been called main'
