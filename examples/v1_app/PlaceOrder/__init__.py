"""POST /api/orders {"item": "book", "quantity": 2}: queues the order.

Locally the host logs: output queue 'orders': {...}
"""

import json
import logging

import azure.functions as func


def main(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    try:
        data = req.get_json()
    except ValueError:
        return func.HttpResponse("Send a JSON body", status_code=400)
    if not isinstance(data, dict) or "item" not in data:
        return func.HttpResponse('Send {"item": ..., "quantity": ...}', status_code=400)
    order.set(json.dumps(data))
    logging.warning("order for %s queued", data["item"])
    return func.HttpResponse(json.dumps({"queued": data}), status_code=202, mimetype="application/json")
