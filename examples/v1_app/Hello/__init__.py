"""GET /api/hello/Ada, /api/hello?name=Ada, or POST {"name": "Ada"}."""

import json
import logging
import os

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name") or req.params.get("name")
    if not name:
        try:
            name = (req.get_json() or {}).get("name")
        except ValueError:
            name = None
    if not name:
        return func.HttpResponse("Pass a name: /api/hello/Ada", status_code=400)
    logging.info("saying hello to %s", name)
    body = {"message": f"{os.environ.get('GREETING', 'Hello')}, {name}!"}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")
