import azure.functions as func


def main(req: func.HttpRequest) -> str:
    if req.method == 'GET'
        return 'get'
    return 'other'
