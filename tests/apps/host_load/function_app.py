"""The local host's load test app: a log flood, a body that is measured, and a quick ping."""
import hashlib
import json
import logging
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="flood", methods=["GET"])
def flood(req: func.HttpRequest) -> func.HttpResponse:
    """Log ?lines=N lines of ?width=W characters, then answer."""
    lines = int(req.params.get("lines", "1000"))
    padding = "x" * int(req.params.get("width", "40"))
    for i in range(lines):
        logging.info("flood line %d %s", i, padding)
    return func.HttpResponse(f"logged {lines}")


@app.route(route="measure", methods=["POST"])
def measure(req: func.HttpRequest) -> func.HttpResponse:
    """Length and SHA-256 of the body; ?sleep=seconds first (holding the body meanwhile)."""
    seconds = float(req.params.get("sleep", "0"))
    if seconds:
        logging.info("measure sleeps %s s", seconds)
        time.sleep(seconds)
    data = req.get_body()
    body = {"length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
