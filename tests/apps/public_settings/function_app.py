"""An app that reads its settings from the environment, as many samples do: app settings, the
ConnectionStrings section of local.settings.json, and the host name Core Tools sets."""

import json
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

NAMES = ["GREETING", "ConnectionStrings:SqlDb", "ConnectionStrings:Other", "WEBSITE_HOSTNAME"]


@app.route(route="settings")
def settings(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({name: os.environ.get(name) for name in NAMES}), mimetype="application/json")
