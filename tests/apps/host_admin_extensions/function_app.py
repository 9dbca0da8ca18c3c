"""Extension triggers (and a queue trigger) run by admin invoke: each function writes what it received, as the
azure.functions library exposes it, to a JSON file in $ADMIN_ECHO_DIR (named by function and the
first body's token) so a test can read it back."""

import json
import os
import uuid
from typing import List

import azure.functions as func

app = func.FunctionApp()


def _echo(function: str, token: str, record: object) -> None:
    folder = os.environ["ADMIN_ECHO_DIR"]
    path = os.path.join(folder, f"{function}-{token}.json")
    scratch = os.path.join(folder, f".{uuid.uuid4().hex}")
    with open(scratch, "w", encoding="utf-8") as out:
        json.dump(record, out, default=str)
    os.replace(scratch, path)


def _token(body: bytes) -> str:
    return body.decode("utf-8", "replace").split(":")[0].strip('"')[:40]


def _message(msg: func.ServiceBusMessage) -> dict:
    return {
        "body": msg.get_body().decode("utf-8"),
        "message_id": msg.message_id,
        "delivery_count": msg.delivery_count,
        "sequence_number": msg.sequence_number,
        "lock_token": msg.lock_token,
        "content_type": msg.content_type,
        "user_properties": msg.user_properties,
        "application_properties": msg.application_properties,
        "enqueued_time_utc": msg.enqueued_time_utc.isoformat() if msg.enqueued_time_utc else None,
        "expires_at_utc": msg.expires_at_utc.isoformat() if msg.expires_at_utc else None,
        "label": msg.label,
        "subject": msg.subject,
        "correlation_id": msg.correlation_id,
    }


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection="ServiceBusConnection")
def sb_one(msg: func.ServiceBusMessage) -> None:
    _echo("sb_one", _token(msg.get_body()), {**_message(msg), "metadata_keys": sorted(msg.metadata)})


@app.service_bus_queue_trigger(
    arg_name="msgs", queue_name="orders-batch", connection="ServiceBusConnection", cardinality="many"
)
def sb_many(msgs: List[func.ServiceBusMessage]) -> None:
    _echo("sb_many", _token(msgs[0].get_body()), [_message(m) for m in msgs])


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="news", subscription_name="all", connection="ServiceBusConnection", data_type="binary"
)
def sb_topic_binary(msg: func.ServiceBusMessage) -> None:
    _echo("sb_topic_binary", _token(msg.get_body()), _message(msg))


def _event(event: func.EventHubEvent) -> dict:
    return {
        "body": event.get_body().decode("utf-8"),
        "partition_key": event.partition_key,
        "sequence_number": event.sequence_number,
        "offset": event.offset,
        "enqueued_time": event.enqueued_time.isoformat() if event.enqueued_time else None,
    }


@app.event_hub_message_trigger(arg_name="event", event_hub_name="%HubName%", connection="EventHubConnection")
def eh_one(event: func.EventHubEvent) -> None:
    md = event.metadata
    record = {
        **_event(event),
        "partition_context": md["PartitionContext"],
        "properties": md["Properties"],
        "system_properties": md["SystemProperties"],
    }
    _echo("eh_one", _token(event.get_body()), record)


@app.event_hub_message_trigger(
    arg_name="events", event_hub_name="telemetry", connection="EventHubConnection", cardinality="many",
    consumer_group="readers",
)
def eh_many(events: List[func.EventHubEvent]) -> None:
    md = events[0].metadata
    record = {
        "events": [_event(e) for e in events],
        "partition_context": md["PartitionContext"],
        "properties": md["PropertiesArray"],
    }
    _echo("eh_many", _token(events[0].get_body()), record)


@app.event_grid_trigger(arg_name="event")
def grid(event: func.EventGridEvent) -> None:
    record = {
        "id": event.id,
        "subject": event.subject,
        "event_type": event.event_type,
        "event_time": event.event_time.isoformat() if event.event_time else None,
        "data": event.get_json(),
        "data_version": event.data_version,
    }
    _echo("grid", str(event.get_json().get("token")), record)


@app.cosmos_db_trigger(arg_name="docs", connection="CosmosConnection", database_name="shop", container_name="orders")
def cosmos(docs: func.DocumentList) -> None:
    _echo("cosmos", str(docs[0]["token"]), [dict(d) for d in docs])


def _kafka(event: func.KafkaEvent) -> dict:
    return {
        "body": json.loads(event.get_body().decode("utf-8")),
        "key": event.key,
        "partition": event.partition,
        "offset": event.offset,
        "topic": event.topic,
        "timestamp": event.timestamp,
        "headers": event.headers,
    }


@app.kafka_trigger(arg_name="event", topic="clicks", broker_list="localhost:9092", consumer_group="$Default")
def kafka_one(event: func.KafkaEvent) -> None:
    record = _kafka(event)
    _echo("kafka_one", record["body"]["Value"], record)


@app.kafka_trigger(
    arg_name="events", topic="clicks", broker_list="localhost:9092", consumer_group="$Default", cardinality="many"
)
def kafka_many(events: List[func.KafkaEvent]) -> None:
    records = [_kafka(e) for e in events]
    _echo("kafka_many", records[0]["body"]["Value"], records)


@app.sql_trigger(arg_name="changes", table_name="dbo.Orders", connection_string_setting="SqlConnection")
def sql(changes: str) -> None:
    parsed = json.loads(changes)
    _echo("sql", str(parsed[0]["Item"]["token"]), parsed)


@app.queue_trigger(arg_name="msg", queue_name="admin-only", connection="AzureWebJobsStorage")
def queue_one(msg: func.QueueMessage) -> None:
    record = {"body": msg.get_body().decode("utf-8"), "id": msg.id, "dequeue_count": msg.dequeue_count}
    _echo("queue_one", _token(msg.get_body()), record)
