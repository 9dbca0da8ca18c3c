"""Admin-invoke inputs of extension triggers, decoded by the azure.functions library's own
converters as the worker would: single and batch, overrides, wire forms and errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import azure.functions as func
import pytest

from quickfunc.bindings.datum import to_datum, trigger_metadata_datums
from quickfunc.host.admin_invoke import example_body, extension_inputs, read_request
from quickfunc.host.admin_invoke.wire_values import Longs, NetTime, Strings, Wire
from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.invocations import InputError
from quickfunc.protos import pb

WORKER = {"TypedDataCollection": "true", "IncludeEmptyEntriesInMessagePayload": "true"}


def _spec(trigger_type: str, **raw: Any) -> FunctionSpec:
    binding = Binding("trig", trigger_type, "in", {"name": "trig", "type": trigger_type, "direction": "in", **raw})
    return FunctionSpec("f", "id", pb.RpcFunctionMetadata(), [binding])


def _decode(spec: FunctionSpec, body: dict[str, Any], capabilities=WORKER, settings=None) -> Any:
    """Build the inputs, then decode them with the library's converter for the trigger type."""
    inputs = extension_inputs(spec, read_request(spec, body), capabilities, settings or {})
    assert inputs is not None
    converter = func.get_binding_registry().get(spec.trigger_type)
    metadata = trigger_metadata_datums(inputs.trigger_metadata)
    return converter.decode(to_datum(inputs.data["trig"]), trigger_metadata=metadata)


def test_service_bus_message_carries_the_fields_the_extension_sends():
    msg = _decode(_spec("serviceBusTrigger"), {"input": "hello", "metadata": {"UserProperties": {"a": 1}}})
    assert msg.get_body() == b"hello"
    assert len(msg.message_id) == 32 and msg.delivery_count == 1 and msg.lock_token
    assert msg.user_properties == {"a": 1} == msg.application_properties
    assert msg.enqueued_time_utc.tzinfo is None  # DateTimeOffset.DateTime: no zone, as in Azure
    assert msg.expires_at_utc > msg.enqueued_time_utc
    assert msg.content_type is None and msg.metadata["EnqueuedTime"].endswith("+00:00")


def test_service_bus_batch_has_array_metadata_and_one_message_per_item():
    spec = _spec("serviceBusTrigger", cardinality="many")
    body = {"input": ["a", {"b": 2}], "metadata": {"MessageIdArray": ["x", "y"], "Subject": "s"}}
    msgs = _decode(spec, body)
    assert [m.get_body() for m in msgs] == [b"a", b'{"b": 2}']
    assert [m.message_id for m in msgs] == ["x", "y"]
    assert [m.delivery_count for m in msgs] == [1, 1]
    assert [m.subject for m in msgs] == ["s", "s"] == [m.label for m in msgs]
    assert [m.content_type for m in msgs] == ["", "application/json"]  # null entries kept empty


def test_binary_data_type_sends_bytes_and_byte_collections():
    single = _spec("serviceBusTrigger", dataType="binary")
    one = extension_inputs(single, read_request(single, {"input": "é"}), WORKER, {})
    assert one is not None and one.data["trig"].bytes == "é".encode()
    many = _spec("eventHubTrigger", dataType="binary", cardinality="many")
    inputs = extension_inputs(many, read_request(many, {"input": ["a", "b"]}), WORKER, {})
    assert inputs is not None and list(inputs.data["trig"].collection_bytes.bytes) == [b"a", b"b"]


def test_event_hub_single_and_batch_decode_with_partition_context():
    settings = {"Conn": "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKey=x", "Hub": "h1"}
    spec = _spec("eventHubTrigger", connection="Conn", eventHubName="%Hub%")
    event = _decode(spec, {"input": "e", "metadata": {"SequenceNumber": 41, "PartitionKey": "pk"}}, settings=settings)
    assert event.get_body() == b"e" and event.sequence_number == 41 and event.partition_key == "pk"
    context = event.metadata["PartitionContext"]
    assert context["FullyQualifiedNamespace"] == "ns1.servicebus.windows.net" and context["EventHubName"] == "h1"
    assert event.metadata["SystemProperties"]["x-opt-partition-key"] == "pk"
    batch = _decode(_spec("eventHubTrigger", cardinality="many"), {"input": ["1", "2", "3"]})
    assert [e.get_body() for e in batch] == [b"1", b"2", b"3"]
    assert [e.sequence_number for e in batch] == sorted({e.sequence_number for e in batch})
    assert all(isinstance(e.enqueued_time, datetime) for e in batch)


def test_kafka_single_and_batch():
    event = _decode(_spec("kafkaTrigger", topic="t"), {"input": "v", "metadata": {"Key": "k", "Partition": 3}})
    assert json.loads(event.get_body())["Value"] == "v"
    assert (event.key, event.partition, event.topic) == ("k", 3, "t")
    batch = _decode(_spec("kafkaTrigger", topic="t", cardinality="many"), {"input": ["a", "b"]})
    assert [json.loads(e.get_body())["Value"] for e in batch] == ["a", "b"]
    assert [e.topic for e in batch] == ["t", "t"] and batch[1].offset == batch[0].offset + 1


def test_event_grid_cosmos_and_sql_documents():
    event = _decode(_spec("eventGridTrigger"), {"input": '{"data": {"x": 1}, "eventType": "T"}'})
    assert event.get_json() == {"x": 1} and event.event_type == "T" and event.id and event.event_time
    grid = _spec("eventGridTrigger")
    inputs = extension_inputs(grid, read_request(grid, {"input": {"data": "text"}}), WORKER, {})
    assert inputs is not None and inputs.trigger_metadata["data"].json == '"text"'
    cloud = _decode(_spec("eventGridTrigger"), {"input": {"specversion": "1.0", "data": 5}})
    assert isinstance(cloud, func.CloudEvent) and cloud.source
    docs = _decode(_spec("cosmosDBTrigger"), {"input": {"id": "d1", "v": 2}})
    assert [d["id"] for d in docs] == ["d1"] and docs[0]["_ts"]
    sql = _spec("sqlTrigger")
    inputs = extension_inputs(sql, read_request(sql, {"input": [{"Id": 1}]}), WORKER, {})
    assert inputs is not None and json.loads(inputs.data["trig"].string) == [{"Operation": 0, "Item": {"Id": 1}}]


def test_a_worker_without_typed_data_collection_gets_json_arrays():
    spec = _spec("serviceBusTrigger", cardinality="many")
    inputs = extension_inputs(spec, read_request(spec, {"input": ["a", "b"]}), {"RawHttpBodyBytes": "true"}, {})
    assert inputs is not None
    assert inputs.data["trig"].json == '["a","b"]'
    assert inputs.trigger_metadata["SequenceNumberArray"].WhichOneof("data") == "json"


def test_wire_values_follow_the_host_rules():
    wire = Wire(collections=True, empty_entries=False)

    def typed(value: Any) -> pb.TypedData:
        found = wire.typed(value)
        assert found is not None
        return found

    assert list(typed(Strings(["a", None, ""])).collection_string.string) == ["a"]
    assert list(typed(Longs([1, 2])).collection_sint64.sint64) == [1, 2]
    assert typed(3).json == "3" and typed(2.5).double == 2.5 and wire.typed(None) is None
    moment = datetime(2024, 5, 1, 12, 0, 0, 120000, tzinfo=timezone.utc)
    assert NetTime(moment).text() == "2024-05-01T12:00:00.12"
    assert NetTime(moment, "utc").text() == "2024-05-01T12:00:00.12Z"
    assert NetTime(moment.replace(microsecond=0), "offset").text() == "2024-05-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("spec", "body", "expected"),
    [
        (_spec("serviceBusTrigger"), {}, 'needs an "input"; send for example {"input": "message body"'),
        (_spec("queueTrigger"), {"input": None}, '{"input": "message text"}'),
        (_spec("serviceBusTrigger", cardinality="many"), {"input": "x"}, "a non-empty JSON list"),
        (_spec("eventHubTrigger", cardinality="many"), {"input": []}, "not an empty list"),
        (_spec("serviceBusTrigger"), {"input": "x", "metadata": {"EnqueuedTimeUtc": "soon"}}, "ISO 8601"),
        (_spec("serviceBusTrigger"), {"input": "x", "metadata": {"UserProperties": [1]}}, "must be a JSON object"),
        (_spec("eventGridTrigger"), {"input": "nope"}, "must be JSON"),
        (_spec("cosmosDBTrigger"), {"input": [1, 2]}, "list of documents"),
        (_spec("sqlTrigger"), {"input": [{"Operation": 7, "Item": {}}]}, "Operation is 0"),
        (_spec("kafkaTrigger"), {"input": "v", "metadata": {"Headers": [1]}}, '"Headers" must be a list'),
    ],
)
def test_bad_bodies_name_the_function_and_show_an_example(spec, body, expected):
    with pytest.raises(InputError) as caught:
        request = read_request(spec, body)
        extension_inputs(spec, request, WORKER, {})
    assert "function f" in str(caught.value) and expected in str(caught.value)
    assert "Example body" in str(caught.value) or "send for example" in str(caught.value)


def test_timers_run_without_input_and_each_example_is_json():
    assert read_request(_spec("timerTrigger"), {}).has_input is False
    for trigger in ("serviceBusTrigger", "eventHubTrigger", "kafkaTrigger", "blobTrigger", "sqlTrigger"):
        assert "input" in json.loads(example_body(_spec(trigger, cardinality="many")))
