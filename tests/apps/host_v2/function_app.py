"""The local host's v2 test app: HTTP shapes, auth levels, outputs, CPU work, slow work."""
import asyncio
import hashlib
import json
import logging
import os
import sys
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello/{name?}", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name") or req.params.get("name") or "world"
    body = {"greeting": f"{os.environ['GREETING']}, {name}!", "method": req.method,
            "query": dict(req.params), "route": dict(req.route_params)}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="items/{id:int}/{tag:alpha?}", methods=["GET"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    body = {"id": int(req.route_params["id"]), "tag": req.route_params.get("tag"),
            "x-trace": req.headers.get("X-Trace"), "cookie": req.headers.get("Cookie")}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="echo", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    data = req.get_body()
    body = {"length": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": req.headers.get("Content-Type")}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="respond")
def respond(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse("<p>made</p>", status_code=int(req.params.get("status", "201")),
                                 headers={"X-Made-By": "respond"}, mimetype="text/html")
    response.headers["Set-Cookie"] = "session=abc123; Path=/; HttpOnly; SameSite=Lax"
    return response


@app.route(route="text")
def text(req: func.HttpRequest) -> str:
    return "plain text"


@app.route(route="async/{ms:int}")
async def async_wait(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(int(req.route_params["ms"]) / 1000)
    logging.info("async function waited %s ms", req.route_params["ms"])
    return func.HttpResponse("waited")


@app.route(route="log")
def log(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("info from log")
    logging.warning("warning from log")
    logging.error("error from log")
    return func.HttpResponse("logged")


@app.route(route="quiet")
def quiet(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("quiet info is hidden by host.json")
    logging.warning("quiet warning is shown")
    return func.HttpResponse("quiet")


@app.route(route="enqueue")
@app.queue_output(arg_name="msg", queue_name="outqueue", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(f"queued {req.params.get('text', '')}")
    return func.HttpResponse("enqueued")


@app.route(route="fail")
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("this function always fails")


@app.route(route="work")
def work(req: func.HttpRequest) -> func.HttpResponse:
    """Sleep (?sleep=seconds) or burn CPU (?spin=loops); answer with the worker's pid."""
    start = time.time()
    seconds = float(req.params.get("sleep", "0"))
    if seconds:
        time.sleep(seconds)
    total = 0
    for i in range(int(req.params.get("spin", "0"))):
        total += i * i
    return func.HttpResponse(json.dumps({"pid": os.getpid(), "total": total, "start": start,
                                         "end": time.time()}),
                             mimetype="application/json")


@app.route(route="multi/{a}-{b}-{c}-{d}", methods=["GET"])
def multi(req: func.HttpRequest) -> func.HttpResponse:
    """Four parameters in one segment: matched without backtracking."""
    return func.HttpResponse(json.dumps(dict(req.route_params)), mimetype="application/json")


@app.route(route="files/{*rest}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    """A catch-all: what the route value holds after the host normalised the path."""
    return func.HttpResponse(json.dumps({"rest": req.route_params.get("rest")}),
                             mimetype="application/json")


@app.route(route="noisy", methods=["GET"])
def noisy(req: func.HttpRequest) -> func.HttpResponse:
    """Logs and prints whatever ?text= holds (control characters included)."""
    text = req.params.get("text", "")
    logging.warning("noisy log: %s", text)
    print(f"noisy stdout: {text}", flush=True)
    print(f"noisy stderr: {text}", file=sys.stderr, flush=True)
    return func.HttpResponse("noisy")


@app.route(route="slow", methods=["GET"])
def slow(req: func.HttpRequest) -> func.HttpResponse:
    """Says it started, then sleeps ?sleep= seconds (for shutdown tests)."""
    logging.info("slow started")
    time.sleep(float(req.params.get("sleep", "0")))
    return func.HttpResponse("slow done")


@app.route(route="secure", auth_level=func.AuthLevel.FUNCTION)
def secure(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("secure invoked")
    return func.HttpResponse("secret")


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("admin_only invoked")
    return func.HttpResponse("admin secret")


@app.queue_trigger(arg_name="item", queue_name="inqueue", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="outqueue", connection="AzureWebJobsStorage")
def forward(item: func.QueueMessage) -> str:
    logging.info("forward got %s (dequeue count %s)", item.get_body().decode(), item.dequeue_count)
    return item.get_body().decode().upper()


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *")
def yearly(timer: func.TimerRequest) -> None:
    logging.info("yearly ran, past_due=%s", timer.past_due)
