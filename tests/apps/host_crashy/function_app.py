"""Test app of the local host's restart policy: importing it kills the worker while the file
named by the CRASH_MARKER setting exists (os._exit(3); an unhandled KeyboardInterrupt when the
file says "interrupt")."""
import json
import os

import azure.functions as func

_marker = os.environ.get("CRASH_MARKER", "")
if _marker and os.path.exists(_marker):
    with open(_marker, encoding="utf-8") as f:
        how = f.read().strip()
    if how == "interrupt":
        raise KeyboardInterrupt("function_app.py was interrupted while being imported")
    os._exit(3)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"pid": os.getpid()}), mimetype="application/json")
