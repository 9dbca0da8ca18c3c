import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return 'wrong entry point'


def customentry(req: func.HttpRequest) -> str:
    return f'custom entry point in {__name__}'
