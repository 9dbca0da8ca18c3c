"""Admin invoke of extension triggers through the real local host and workers: Service Bus and
Event Hubs (single and cardinality many), Event Grid, Cosmos DB, Kafka and SQL functions get the
input and metadata the extension would send, as the azure.functions library exposes them."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def echo_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("admin-echo"))


@pytest.fixture(scope="module")
def host(echo_dir, tmp_path_factory):
    app = tmp_path_factory.mktemp("admin-extensions") / "app"  # the queue trigger's store lands in the app
    shutil.copytree(app_path("host_admin_extensions"), app)
    with LocalHostProcess(str(app), env={"ADMIN_ECHO_DIR": echo_dir}) as running:
        yield running


def _token() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _invoke(host: LocalHostProcess, function: str, body: dict[str, Any]) -> None:
    reply = host.post(f"/admin/functions/{function}", json.dumps(body))
    assert reply.status == 202, reply.text


def _echo(host: LocalHostProcess, echo_dir: str, function: str, token: str, timeout: float = 30.0) -> Any:
    path = os.path.join(echo_dir, f"{function}-{token}.json")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.exists(path), host.output()[-3000:]
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _recent(stamp: str) -> bool:
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:  # the extension sends EnqueuedTimeUtc without a zone
        moment = moment.replace(tzinfo=timezone.utc)
    return abs(datetime.now(timezone.utc) - moment) < timedelta(minutes=5)


def test_service_bus_single_message_has_the_extension_metadata(host, echo_dir):
    token = _token()
    _invoke(host, "sb_one", {"input": f"{token}:order", "metadata": {"UserProperties": {"tenant": "contoso"}}})
    got = _echo(host, echo_dir, "sb_one", token)
    assert got["body"] == f"{token}:order"
    assert len(got["message_id"]) == 32 and got["delivery_count"] == 1
    assert got["user_properties"] == {"tenant": "contoso"} == got["application_properties"]
    assert _recent(got["enqueued_time_utc"]) and got["lock_token"]
    assert got["expires_at_utc"] > got["enqueued_time_utc"]
    assert isinstance(got["sequence_number"], int)
    for key in ("MessageId", "DeliveryCount", "UserProperties", "EnqueuedTimeUtc", "ExpiresAt"):
        assert key in got["metadata_keys"]


def test_service_bus_overrides_win_and_object_inputs_are_json(host, echo_dir):
    token = _token()
    metadata = {"MessageId": "mine", "DeliveryCount": 3, "Label": "urgent", "CorrelationId": "c-1"}
    _invoke(host, "sb_one", {"input": f"{token}:x", "metadata": metadata})
    got = _echo(host, echo_dir, "sb_one", token)
    assert (got["message_id"], got["delivery_count"], got["correlation_id"]) == ("mine", 3, "c-1")
    assert got["label"] == got["subject"] == "urgent"


def test_service_bus_batch_gets_one_message_per_item_with_array_metadata(host, echo_dir):
    token = _token()
    body = {"input": [f"{token}:a", f"{token}:b", {"n": 3}], "metadata": {"MessageIdArray": ["m1", "m2", "m3"]}}
    _invoke(host, "sb_many", body)
    got = _echo(host, echo_dir, "sb_many", token)
    assert [m["body"] for m in got] == [f"{token}:a", f"{token}:b", '{"n": 3}']
    assert [m["message_id"] for m in got] == ["m1", "m2", "m3"]
    assert [m["delivery_count"] for m in got] == [1, 1, 1]
    assert all(m["user_properties"] == {} and _recent(m["enqueued_time_utc"]) for m in got)
    assert len({m["sequence_number"] for m in got}) == 3
    assert got[2]["content_type"] == "application/json"


def test_service_bus_binary_topic_trigger_gets_bytes(host, echo_dir):
    token = _token()
    _invoke(host, "sb_topic_binary", {"input": f"{token}:bytes"})
    got = _echo(host, echo_dir, "sb_topic_binary", token)
    assert got["body"] == f"{token}:bytes" and got["delivery_count"] == 1


def test_event_hubs_single_event_has_partition_context_and_system_properties(host, echo_dir):
    token = _token()
    _invoke(
        host, "eh_one", {"input": f"{token}:reading", "metadata": {"PartitionKey": "dev-7", "Properties": {"u": 1}}}
    )
    got = _echo(host, echo_dir, "eh_one", token)
    assert got["body"] == f"{token}:reading"
    assert got["partition_key"] == "dev-7" and got["properties"] == {"u": 1}
    assert got["partition_context"] == {
        "FullyQualifiedNamespace": "telemetry-ns.servicebus.windows.net",
        "EventHubName": "telemetry",  # %HubName% resolved
        "ConsumerGroup": "$Default",
        "PartitionId": "0",
    }
    assert _recent(got["enqueued_time"]) and isinstance(got["sequence_number"], int)
    assert got["offset"] == str(got["system_properties"]["Offset"])
    assert got["system_properties"]["x-opt-sequence-number"] == got["sequence_number"]


def test_event_hubs_batch_gets_each_event_with_its_system_properties(host, echo_dir):
    token = _token()
    body = {"input": [f"{token}:1", f"{token}:2"], "metadata": {"PartitionKeyArray": ["p1", "p2"]}}
    _invoke(host, "eh_many", body)
    got = _echo(host, echo_dir, "eh_many", token)
    events = got["events"]
    assert [e["body"] for e in events] == [f"{token}:1", f"{token}:2"]
    assert [e["partition_key"] for e in events] == ["p1", "p2"]
    assert events[1]["sequence_number"] == events[0]["sequence_number"] + 1
    assert all(_recent(e["enqueued_time"]) and isinstance(e["offset"], int) for e in events)
    assert got["partition_context"]["ConsumerGroup"] == "readers"
    assert got["properties"] == [{}, {}]


def test_event_grid_event_is_completed_with_what_a_delivery_has(host, echo_dir):
    token = _token()
    _invoke(host, "grid", {"input": {"subject": "orders/1", "eventType": "Order.Created", "data": {"token": token}}})
    got = _echo(host, echo_dir, "grid", token)
    assert got["subject"] == "orders/1" and got["event_type"] == "Order.Created"
    assert got["data"] == {"token": token} and got["id"]
    assert _recent(got["event_time"])


def test_cosmos_db_documents_arrive_as_a_document_list(host, echo_dir):
    token = _token()
    _invoke(host, "cosmos", {"input": [{"token": token, "n": 1}, {"token": token, "n": 2}]})
    got = _echo(host, echo_dir, "cosmos", token)
    assert [d["n"] for d in got] == [1, 2]
    assert all(d["id"] and d["_ts"] and d["_etag"] for d in got)


def test_kafka_single_and_batch_events(host, echo_dir):
    token = _token()
    _invoke(host, "kafka_one", {"input": token, "metadata": {"Key": "k1", "Headers": {"trace": "abc"}}})
    got = _echo(host, echo_dir, "kafka_one", token)
    assert (got["key"], got["topic"], got["partition"]) == ("k1", "clicks", 0)
    assert got["body"]["Value"] == token and got["body"]["Key"] == "k1"
    assert got["headers"] == [{"Key": "trace", "Value": "YWJj"}]
    assert isinstance(got["offset"], int) and got["timestamp"].endswith("Z")

    token = _token()
    _invoke(host, "kafka_many", {"input": [token, "second"]})
    got = _echo(host, echo_dir, "kafka_many", token)
    assert [e["body"]["Value"] for e in got] == [token, "second"]
    assert [e["topic"] for e in got] == ["clicks", "clicks"]
    assert got[1]["offset"] == got[0]["offset"] + 1


def test_sql_changes_arrive_as_the_extension_serialises_them(host, echo_dir):
    token = _token()
    _invoke(host, "sql", {"input": [{"token": token}, {"Operation": "Update", "Item": {"token": token}}]})
    got = _echo(host, echo_dir, "sql", token)
    assert got == [{"Operation": 0, "Item": {"token": token}}, {"Operation": 1, "Item": {"token": token}}]


def test_storage_trigger_metadata_can_be_overridden_too(host, echo_dir):
    token = _token()
    _invoke(host, "queue_one", {"input": f"{token}:q", "metadata": {"DequeueCount": 4}})
    got = _echo(host, echo_dir, "queue_one", token)
    assert got["body"] == f"{token}:q" and got["dequeue_count"] == 4 and got["id"]


@pytest.mark.parametrize(
    ("function", "body", "expected"),
    [
        ("sb_one", {}, '"input": "message body"'),
        ("queue_one", {}, '{"input": "message text"}'),
        ("sb_many", {"metadata": {}}, '"input": ["first", "second"]'),
        ("eh_many", {"input": "not a list"}, "non-empty JSON list of messages, not a string"),
        ("sb_many", {"input": ["a"], "metadata": {"MessageIdArray": ["1", "2"]}}, "one value per message (1)"),
        ("sb_one", {"input": "x", "metadata": {"DeliveryCount": "two"}}, '"DeliveryCount" must be a whole number'),
        ("grid", {"input": "[1, 2]"}, "one event, a JSON object"),
        ("cosmos", {"input": "{not json"}, "its input must be JSON"),
        ("eh_one", {"input": "x", "metadata": ["no"]}, '"metadata" must be a JSON object'),
    ],
)
def test_bad_admin_bodies_get_400_naming_the_function_and_showing_a_body(host, function, body, expected):
    reply = host.post(f"/admin/functions/{function}", json.dumps(body))
    assert reply.status == 400, reply.text
    assert function in reply.text and expected in reply.text
