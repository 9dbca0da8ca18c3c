"""Appends its process id to the file named by V2_IMPORT_LOG on every import (to count imports)."""
import os

import azure.functions as func

if os.environ.get("V2_IMPORT_LOG"):
    with open(os.environ["V2_IMPORT_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"pong from {os.getpid()}")


@app.timer_trigger(arg_name="t", schedule="0 * * * * *")
def tick(t: func.TimerRequest) -> None:
    pass
