import json

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    category = req.route_params.get('category')
    product_id = req.route_params.get('id')
    body = req.get_json()
    result = {
        'method': req.method,
        'url': req.url,
        'category': category,
        'id': product_id,
        'query': dict(req.params),
        'agent': req.headers.get('User-Agent'),
        'custom': req.headers.get('x-custom-header'),
        'order': body,
    }
    return func.HttpResponse(
        json.dumps(result),
        status_code=201,
        headers={'X-Product-Category': category, 'Cache-Control': 'no-store'},
        mimetype='application/json',
    )
