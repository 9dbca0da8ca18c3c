"""v2 counterpart of the v1 end-to-end app: the same behaviours, declared with decorators."""
import asyncio
import json
import logging
import threading
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    name = req.params.get("name")
    if not name:
        try:
            name = req.get_json().get("name")
        except ValueError:
            name = None
    if not name:
        return func.HttpResponse("pass a name in the query string or the JSON body", status_code=400)
    return func.HttpResponse(f"Hello, {name}!")


@app.route(route="users/{user_id:int}/items/{item}", methods=[func.HttpMethod.GET])
def route_params(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(dict(req.route_params)), mimetype="application/json")


@app.route(route="echo_headers")
def echo_headers(req: func.HttpRequest) -> func.HttpResponse:
    body = {"x-custom": req.headers.get("X-Custom"), "method": req.method, "url": req.url}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.function_name(name="CustomResponse")
@app.route(route="custom")
def custom_response(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps({"created": True}),
        status_code=201,
        headers={"X-Result": "made", "Cache-Control": "no-store"},
        mimetype="application/json",
    )


@app.route(route="plain")
def plain_string(req: func.HttpRequest) -> str:
    return "just a string"


@app.route(route="enqueue")
@app.queue_output(arg_name="msg", queue_name="outqueue", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    text = req.params.get("text", "")
    msg.set(f"queued: {text}")
    return func.HttpResponse("ok")


@app.queue_trigger(arg_name="item", queue_name="inqueue", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="outqueue", connection="AzureWebJobsStorage")
def forward(item: func.QueueMessage) -> str:
    return item.get_body().decode().upper()


@app.queue_trigger(arg_name="msg", queue_name="meta", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="report", queue_name="reports", connection="AzureWebJobsStorage")
def queue_metadata(msg: func.QueueMessage, report: func.Out[str]) -> None:
    report.set(json.dumps({
        "id": msg.id,
        "body": msg.get_body().decode(),
        "dequeue_count": msg.dequeue_count,
        "insertion_time": msg.insertion_time.isoformat() if msg.insertion_time else None,
        "pop_receipt": msg.pop_receipt,
    }))


@app.route(route="blob/{name}")
@app.blob_input(arg_name="file", path="samples/{name}", connection="AzureWebJobsStorage")
def read_blob(req: func.HttpRequest, file: func.InputStream) -> func.HttpResponse:
    data = file.read()
    return func.HttpResponse(f"{len(data)} bytes: {data.decode()}")


@app.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False)
def every_five_minutes(timer: func.TimerRequest) -> None:
    logging.info("timer fired, past_due=%s", timer.past_due)


@app.route(route="context")
def with_context(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "invocation_id": context.invocation_id,
        "function_name": context.function_name,
        "function_directory": context.function_directory,
    }), mimetype="application/json")


@app.route(route="async_sleep")
async def async_sleep(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.params.get("seconds", "0.5")))
    return func.HttpResponse("slept")


@app.route(route="sync_sleep")
def sync_sleep(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.params.get("seconds", "0.5")))
    return func.HttpResponse("slept")


@app.route(route="logs")
async def logs(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    marker = req.params.get("marker", "none")
    logging.info("user log %s", marker)
    logging.getLogger("my.module").warning("module log %s", marker)

    async def child() -> None:
        logging.info("task log %s", marker)

    await asyncio.create_task(child())

    def in_thread() -> None:
        context.thread_local_storage.invocation_id = context.invocation_id
        logging.info("thread log %s", marker)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    return func.HttpResponse("logged")


@app.route(route="fail")
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("this function always fails")


@app.route(route="fan_out", methods=["POST"])
@app.queue_output(arg_name="audit", queue_name="audit", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="archive", path="archive/{rand-guid}.txt", connection="AzureWebJobsStorage")
def fan_out(req: func.HttpRequest, audit: func.Out[str], archive: func.Out[bytes]) -> func.HttpResponse:
    body = req.get_body()
    audit.set(f"received {len(body)} bytes")
    archive.set(body)
    return func.HttpResponse("stored", status_code=202)


_CACHE: dict = {"calls": 0}


@app.route(route="counter")
def counter(req: func.HttpRequest) -> func.HttpResponse:
    _CACHE["calls"] += 1
    return func.HttpResponse(str(_CACHE["calls"]))


@app.route(route="setting")
def setting(req: func.HttpRequest) -> func.HttpResponse:
    import os
    return func.HttpResponse(os.environ.get("MY_APP_SETTING", "<unset>"))
