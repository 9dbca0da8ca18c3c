"""One function per decorator family: http options, timer, blob, event hub, service bus, cosmos,
event grid, generic bindings, retry policies. Non-http triggers report what they received through
a queue output named `report`."""
import json
from typing import List

import azure.functions as func

app = func.FunctionApp(http_auth_level="ADMIN")


@app.route(route="orders/{order_id}/lines/{line:int?}", methods=["GET", "DELETE"],
           auth_level=func.AuthLevel.FUNCTION)
def orders(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"method": req.method, "route": dict(req.route_params)}))


@app.route()
def default_route(req: func.HttpRequest) -> str:
    return "default"


@app.function_name(name="Renamed")
@app.route(route="renamed", trigger_arg_name="request", binding_arg_name="response")
def python_name(request: func.HttpRequest, response: func.Out[func.HttpResponse]) -> None:
    response.set(func.HttpResponse("renamed", status_code=202))


@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:10")
@app.timer_trigger(arg_name="t", schedule="0 0 * * * *", run_on_startup=True, use_monitor=False)
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def hourly(t: func.TimerRequest, report: func.Out[str]) -> None:
    report.set(json.dumps({"past_due": t.past_due}))


@app.retry(strategy="exponential_backoff", max_retry_count="5",
           minimum_interval="00:00:02", maximum_interval="00:15:00")
@app.blob_trigger(arg_name="blob", path="incoming/{name}", connection="Storage")
@app.blob_output(arg_name="copy", path="outgoing/{name}", connection="Storage")
def copy_blob(blob: func.InputStream, copy: func.Out[bytes]) -> None:
    copy.set(f"{blob.name}:{blob.length}:".encode() + blob.read().upper())


@app.event_hub_message_trigger(arg_name="event", connection="EventHubConn", event_hub_name="hub",
                               cardinality="one", consumer_group="$Default")
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def one_event(event: func.EventHubEvent, report: func.Out[str]) -> None:
    report.set(json.dumps({
        "body": event.get_body().decode(),
        "partition_key": event.partition_key,
        "sequence_number": event.sequence_number,
        "offset": event.offset,
        "enqueued_time": event.enqueued_time.isoformat() if event.enqueued_time else None,
    }))


@app.event_hub_message_trigger(arg_name="events", connection="EventHubConn", event_hub_name="hub",
                               cardinality="many")
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def many_events(events: List[func.EventHubEvent], report: func.Out[str]) -> None:
    report.set(json.dumps([[e.get_body().decode(), e.sequence_number] for e in events]))


@app.service_bus_queue_trigger(arg_name="msg", connection="ServiceBusConn", queue_name="jobs")
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def service_bus(msg: func.ServiceBusMessage, report: func.Out[str]) -> None:
    report.set(json.dumps({
        "body": msg.get_body().decode(),
        "message_id": msg.message_id,
        "delivery_count": msg.delivery_count,
        "user_properties": msg.user_properties,
        "content_type": msg.content_type,
    }))


@app.cosmos_db_trigger(arg_name="docs", connection="CosmosConn", database_name="shop",
                       container_name="orders", lease_container_name="leases",
                       create_lease_container_if_not_exists=True)
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def cosmos_changes(docs: func.DocumentList, report: func.Out[str]) -> None:
    report.set(json.dumps([{"id": d["id"], "qty": d.get("qty")} for d in docs]))


@app.event_grid_trigger(arg_name="event")
@app.queue_output(arg_name="report", queue_name="reports", connection="Storage")
def grid_event(event: func.EventGridEvent, report: func.Out[str]) -> None:
    report.set(json.dumps({
        "id": event.id, "subject": event.subject, "event_type": event.event_type,
        "data": event.get_json(), "topic": event.topic,
    }))


@app.generic_trigger(arg_name="payload", type="customTrigger", queue="custom-in")
@app.generic_input_binding(arg_name="extra", type="customInput", data_type=func.DataType.STRING,
                           lookup="key-1")
@app.generic_output_binding(arg_name="out", type="customOutput", target="custom-out")
def generic(payload: str, extra: str, out: func.Out[str]) -> dict:
    out.set(f"{payload}+{extra}")
    return {"payload": payload, "extra": extra}


@app.generic_trigger(arg_name="payload", type="customTrigger")
@app.generic_output_binding(arg_name="out", type="customOutput")
def generic_untyped(payload, out) -> None:
    out.set(payload)
