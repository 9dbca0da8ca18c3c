"""GET /api/add/2/3 -> {"sum": 5}; /api/add/x/3 is a 404 (the route wants integers)."""

import json

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    a, b = int(req.route_params["a"]), int(req.route_params["b"])
    return func.HttpResponse(json.dumps({"a": a, "b": b, "sum": a + b}), mimetype="application/json")
