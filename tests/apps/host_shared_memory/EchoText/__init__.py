"""Copies a text blob upper-cased; answers its length and the map files present while it runs."""
import json

import azure.functions as func

from Echo import maps_present


def main(req: func.HttpRequest, inp: str, copy: func.Out[str]) -> func.HttpResponse:
    if inp is None:
        return func.HttpResponse("no such blob", status_code=404)
    copy.set(inp.upper())
    body = {"type": type(inp).__name__, "chars": len(inp), "maps": maps_present()}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")
