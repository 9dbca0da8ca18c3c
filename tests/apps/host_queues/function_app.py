"""Queue outputs and triggers on the local host: an HTTP function enqueues, queue triggers record
what they got (dequeue counts too) on a results queue, fail a set number of times, or always."""

import json
import logging
import os
import typing

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="enqueue")
@app.queue_output(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(req.params.get("text", ""))
    return func.HttpResponse("enqueued")


@app.route(route="many")
@app.queue_output(arg_name="msgs", queue_name="flaky", connection="AzureWebJobsStorage")
# typing.List: the library refuses list[str] here, as in Azure
def many(req: func.HttpRequest, msgs: func.Out[typing.List[str]]) -> func.HttpResponse:  # noqa: UP006
    msgs.set(req.params.get("texts", "").split(","))
    return func.HttpResponse("enqueued")


@app.route(route="poison")
@app.queue_output(arg_name="msg", queue_name="doomed", connection="AzureWebJobsStorage")
def poison(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(json.dumps({"item": req.params.get("item", "")}))
    return func.HttpResponse("enqueued")


@app.route(route="failing-output")
@app.queue_output(arg_name="msg", queue_name="never", connection="AzureWebJobsStorage")
def failing_output(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set("not written")
    raise ValueError("failed after setting the output")


@app.queue_trigger(arg_name="item", queue_name="work", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="results", connection="AzureWebJobsStorage")
def worker(item: func.QueueMessage) -> str:
    return json.dumps({"function": "worker", "body": item.get_body().decode(), "count": item.dequeue_count})


@app.queue_trigger(arg_name="item", queue_name="flaky", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="out", queue_name="results", connection="AzureWebJobsStorage")
def flaky(item: func.QueueMessage, out: func.Out[str]) -> None:
    body = item.get_body().decode()
    fails = int(body.split(":")[1]) if ":" in body else 0
    logging.info("flaky got %s, dequeue count %s", body, item.dequeue_count)
    if item.dequeue_count <= fails:
        raise RuntimeError(f"failing {body} on delivery {item.dequeue_count}")
    out.set(json.dumps({"function": "flaky", "body": body, "count": item.dequeue_count, "id": item.id}))


@app.queue_trigger(arg_name="item", queue_name="doomed", connection="AzureWebJobsStorage")
def doomed(item: func.QueueMessage) -> None:
    raise RuntimeError(f"doomed fails on delivery {item.dequeue_count}")


@app.route(route="crash")
@app.queue_output(arg_name="msg", queue_name="crashy", connection="AzureWebJobsStorage")
def crash(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set(req.params.get("text", ""))
    return func.HttpResponse("enqueued")


@app.queue_trigger(arg_name="item", queue_name="crashy", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="results", connection="AzureWebJobsStorage")
def crashy(item: func.QueueMessage) -> str:
    if item.dequeue_count == 1:
        os._exit(3)  # the worker process dies in the middle of the invocation
    return json.dumps({"function": "crashy", "body": item.get_body().decode(), "count": item.dequeue_count})


@app.route(route="unset-queue")
@app.queue_output(arg_name="msg", queue_name="%NOT_SET%", connection="AzureWebJobsStorage")
def unset_queue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set("nowhere to go")
    return func.HttpResponse("enqueued?")
