import azure.functions as func

ALLOWED_ORIGIN = 'https://contoso.example'


def main(req: func.HttpRequest) -> func.HttpResponse:
    cors = {
        'Access-Control-Allow-Origin': ALLOWED_ORIGIN,
        'Access-Control-Allow-Methods': 'GET, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type',
    }
    if req.method == 'OPTIONS':
        return func.HttpResponse(status_code=204, headers=cors)
    return func.HttpResponse('cors ok', headers=cors)
