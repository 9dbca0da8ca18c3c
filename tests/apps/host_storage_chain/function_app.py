"""The whole storage chain on the local host: an HTTP order is queued, the queue trigger writes
it to a blob, and the blob trigger on that container writes the final blob the test reads.
`direct` writes the stage blob straight from HTTP; `refused` is a blob trigger that always fails."""

import json
import logging
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orders/{id}", methods=["POST"])
@app.queue_output(arg_name="order", queue_name="chain-orders", connection="AzureWebJobsStorage")
def place(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    body = req.get_json()
    order.set(json.dumps({"id": req.route_params["id"], "item": body["item"], "stages": ["http"]}))
    return func.HttpResponse("queued", status_code=202)


@app.queue_trigger(arg_name="msg", queue_name="chain-orders", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="stage", path="chain-stage/{id}.json", connection="AzureWebJobsStorage")
def stage(msg: func.QueueMessage, stage: func.Out[str]) -> None:
    order = msg.get_json()
    order["stages"].append("queue")
    order["dequeue_count"] = msg.dequeue_count
    stage.set(json.dumps(order))


@app.route(route="direct/{id}", methods=["POST"])
@app.blob_output(arg_name="stage", path="chain-stage/{id}.json", connection="AzureWebJobsStorage")
def direct(req: func.HttpRequest, stage: func.Out[str]) -> func.HttpResponse:
    stage.set(json.dumps({"id": req.route_params["id"], "item": "direct", "stages": ["http"]}))
    return func.HttpResponse("written", status_code=201)


@app.blob_trigger(arg_name="blob", path="chain-stage/{name}.json", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="done", path="chain-done/{name}.json", connection="AzureWebJobsStorage")
def finish(blob: func.InputStream, done: func.Out[str]) -> None:
    order = json.loads(blob.read())
    order["stages"].append("blob")
    order["blob"] = blob.name
    order["length"] = blob.length
    order["finished_at"] = time.time()
    logging.info("finished order %s", order["id"])
    done.set(json.dumps(order))


@app.blob_trigger(arg_name="blob", path="chain-refused/{name}", connection="AzureWebJobsStorage")
def refused(blob: func.InputStream) -> None:
    raise RuntimeError(f"refusing {blob.name}")
