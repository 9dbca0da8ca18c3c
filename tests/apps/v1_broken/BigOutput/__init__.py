import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    size = int(req.params.get('size', '10'))
    return func.HttpResponse('x' * size)
