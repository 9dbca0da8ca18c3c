"""Example v2 app: HTTP with route parameters and JSON, an async function, logging,
a queue output consumed by a queue trigger (on the embedded store, or Azurite), and a timer.

Serve it with:  quickfunc start examples/v2_app
"""

import asyncio
import json
import logging
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello/{name?}", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/hello/Ada, /api/hello?name=Ada, or POST {"name": "Ada"}."""
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


@app.route(route="add/{a:int}/{b:int}", methods=["GET"])
def add(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/add/2/3 -> {"sum": 5}; /api/add/x/3 is a 404 (the route wants integers)."""
    a, b = int(req.route_params["a"]), int(req.route_params["b"])
    return func.HttpResponse(json.dumps({"a": a, "b": b, "sum": a + b}), mimetype="application/json")


@app.route(route="wait/{ms:int:max(5000)}")
async def wait(req: func.HttpRequest) -> func.HttpResponse:
    """An async function: awaits without holding up the worker's other requests."""
    ms = int(req.route_params["ms"])
    await asyncio.sleep(ms / 1000)
    logging.info("waited %d ms", ms)
    return func.HttpResponse(f"waited {ms} ms")


@app.route(route="orders", methods=["POST"])
@app.queue_output(arg_name="order", queue_name="orders", connection="AzureWebJobsStorage")
def place_order(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    """POST /api/orders {"item": "book", "quantity": 2}: queues the order.

    The message lands on the 'orders' queue, and process_order below runs for it at once.
    """
    try:
        data = req.get_json()
    except ValueError:
        return func.HttpResponse("Send a JSON body", status_code=400)
    if not isinstance(data, dict) or "item" not in data:
        return func.HttpResponse('Send {"item": ..., "quantity": ...}', status_code=400)
    order.set(json.dumps(data))
    logging.warning("order for %s queued", data["item"])
    return func.HttpResponse(json.dumps({"queued": data}), status_code=202, mimetype="application/json")


@app.queue_trigger(arg_name="msg", queue_name="orders", connection="AzureWebJobsStorage")
def process_order(msg: func.QueueMessage) -> None:
    """Runs for each message place_order queues (or: POST /admin/functions/process_order {"input": ...})."""
    logging.info("processing order %s", msg.get_body().decode())


@app.timer_trigger(arg_name="timer", schedule="0 */1 * * * *", run_on_startup=False)
def heartbeat(timer: func.TimerRequest) -> None:
    """Every minute, at second 0 (NCRONTAB: second minute hour day month day-of-week)."""
    logging.info("heartbeat (past due: %s)", timer.past_due)
