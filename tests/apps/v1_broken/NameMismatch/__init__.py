import azure.functions as func


def main(request: func.HttpRequest) -> str:
    return 'function.json calls the trigger req'
