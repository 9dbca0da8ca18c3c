import azure.functions as func


def main(req: func.HttpRequest) -> str:  # function.json misspells httpTrigger
    return "never loaded"
