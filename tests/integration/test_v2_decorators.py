"""Decorator coverage: what each decorator family produces in the metadata, and that it runs."""

from __future__ import annotations

import importlib.util
import json
import os
import uuid

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import EXPONENTIAL, FIXED_DELAY, OUT, STRING, SUCCESS, app_path, index, index_and_load, run
from tests.integration.fakehost import start_worker

APP = app_path("v2_triggers")


def raw(function: pb.RpcFunctionMetadata) -> dict[str, dict]:
    """raw_bindings by binding name."""
    return {b["name"]: b for b in map(json.loads, function.raw_bindings)}


def report_of(response: pb.InvocationResponse):
    assert response.result.status == SUCCESS, (
        f"{response.result.exception.message}\n{response.result.exception.stack_trace}"
    )
    return json.loads({o.name: o.data for o in response.output_data}["report"].string)


def library_functions():
    """The app's functions as the library builds them, imported in this process."""
    spec = importlib.util.spec_from_file_location(
        f"v2_triggers_app_{uuid.uuid4().hex}", os.path.join(APP, "function_app.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {f.get_function_name(): f for f in module.app.get_functions()}


# ---- metadata -----------------------------------------------------------------------------------


def test_metadata_matches_the_library_function_json_for_every_decorator():
    async def go():
        async with start_worker(APP) as host:
            return await index(host)

    found = run(go())
    expected = library_functions()
    assert sorted(found) == sorted(expected)
    for name, function in expected.items():
        metadata = found[name]
        assert list(metadata.raw_bindings) == function.get_raw_bindings(), name
        assert metadata.function_id == str(uuid.uuid5(uuid.NAMESPACE_OID, name))
        assert metadata.directory == os.path.abspath(APP)
        assert metadata.script_file == "function_app.py"
        assert metadata.entry_point == name
        assert metadata.language == "python"
        assert dict(metadata.properties) == {"worker_indexed": "True"}
        assert {n: (b.type, b.direction) for n, b in metadata.bindings.items()} == {
            b.name: (b.type, b.direction) for b in function.get_bindings()
        }, name


def test_route_methods_auth_level_and_template():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            assert raw(found["orders"])["req"] == {
                "direction": "IN",
                "type": "httpTrigger",
                "name": "req",
                "methods": ["GET", "DELETE"],
                "authLevel": "FUNCTION",
                "route": "orders/{order_id}/lines/{line:int?}",
            }
            assert raw(found["orders"])["$return"] == {"direction": "OUT", "type": "http", "name": "$return"}
            # no route: the function name; no auth level: the app's http_auth_level
            assert raw(found["default_route"])["req"]["route"] == "default_route"
            assert raw(found["default_route"])["req"]["authLevel"] == "ADMIN"
            assert "methods" not in raw(found["default_route"])["req"]
            ids = await index_and_load(host)
            req = http_request("DELETE", "http://localhost/api/orders/5/lines/2", params={"order_id": "5", "line": "2"})
            response = await host.invoke(ids["orders"], {"req": req})
            assert json.loads(response.return_value.http.body.bytes) == {
                "method": "DELETE",
                "route": {"order_id": "5", "line": "2"},
            }
            default = await host.invoke(
                ids["default_route"], {"req": http_request("GET", "http://localhost/api/default_route")}
            )
            assert default.return_value.string == "default"

    run(go())


def test_function_name_and_custom_http_argument_names():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            renamed = found["Renamed"]
            assert renamed.entry_point == "Renamed"
            assert renamed.function_id == str(uuid.uuid5(uuid.NAMESPACE_OID, "Renamed"))
            assert set(renamed.bindings) == {"request", "response"}
            assert renamed.bindings["response"].direction == OUT
            ids = await index_and_load(host)
            response = await host.invoke(
                ids["Renamed"], {"request": http_request("GET", "http://localhost/api/renamed")}
            )
            assert response.result.status == SUCCESS, response.result.exception.message
            (output,) = response.output_data
            assert output.name == "response"
            assert output.data.http.status_code == "202"
            assert output.data.http.body.bytes == b"renamed"

    run(go())


def test_retry_decorators_become_retry_options():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            fixed = found["hourly"].retry_options
            assert fixed.retry_strategy == FIXED_DELAY
            assert fixed.max_retry_count == 3
            assert fixed.delay_interval.seconds == 10
            backoff = found["copy_blob"].retry_options
            assert backoff.retry_strategy == EXPONENTIAL
            assert backoff.max_retry_count == 5
            assert backoff.minimum_interval.seconds == 2
            assert backoff.maximum_interval.seconds == 15 * 60
            assert not found["orders"].HasField("retry_options")

    run(go())


# ---- triggers -----------------------------------------------------------------------------------


def test_timer_trigger_binding_and_invocation():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            assert raw(found["hourly"])["t"] == {
                "direction": "IN",
                "type": "timerTrigger",
                "name": "t",
                "schedule": "0 0 * * * *",
                "runOnStartup": True,
                "useMonitor": False,
            }
            ids = await index_and_load(host)
            timer = pb.TypedData(json='{"Schedule": {}, "ScheduleStatus": null, "IsPastDue": false}')
            assert report_of(await host.invoke(ids["hourly"], {"t": timer})) == {"past_due": False}

    run(go())


def test_blob_trigger_with_blob_output():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            metadata = {
                "BlobTrigger": pb.TypedData(string="incoming/a.txt"),
                "Uri": pb.TypedData(string="https://acct.blob.core.windows.net/incoming/a.txt"),
                "Properties": pb.TypedData(json='{"ContentLength": 5}'),
            }
            response = await host.invoke(ids["copy_blob"], {"blob": pb.TypedData(bytes=b"hello")}, metadata)
            assert response.result.status == SUCCESS, response.result.exception.message
            (output,) = response.output_data
            assert output.name == "copy"
            assert output.data.bytes == b"incoming/a.txt:5:HELLO"

    run(go())


def test_event_hub_trigger_one_and_many():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            one = await host.invoke(
                ids["one_event"],
                {"event": pb.TypedData(string="e1")},
                {
                    "SystemProperties": pb.TypedData(json=json.dumps({"PartitionKey": "pk"})),
                    "PartitionKey": pb.TypedData(string="pk"),
                    "SequenceNumber": pb.TypedData(json="17"),
                    "Offset": pb.TypedData(string="4096"),
                    "EnqueuedTimeUtc": pb.TypedData(string="2024-03-04T05:06:07Z"),
                },
            )
            assert report_of(one) == {
                "body": "e1",
                "partition_key": "pk",
                "sequence_number": 17,
                "offset": "4096",
                "enqueued_time": "2024-03-04T05:06:07+00:00",
            }
            batch = pb.TypedData(collection_string=pb.CollectionString(string=["a", "b"]))
            many = await host.invoke(
                ids["many_events"],
                {"events": batch},
                {
                    "SystemPropertiesArray": pb.TypedData(
                        json=json.dumps([{"SequenceNumber": 1}, {"SequenceNumber": 2}])
                    ),
                },
            )
            assert report_of(many) == [["a", 1], ["b", 2]]

    run(go())


def test_service_bus_queue_trigger():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(
                ids["service_bus"],
                {"msg": pb.TypedData(string="job")},
                {
                    "MessageId": pb.TypedData(string="m-1"),
                    "DeliveryCount": pb.TypedData(json="2"),
                    "UserProperties": pb.TypedData(json='{"tenant": "t1"}'),
                    "ContentType": pb.TypedData(string="text/plain"),
                },
            )
            assert report_of(response) == {
                "body": "job",
                "message_id": "m-1",
                "delivery_count": 2,
                "user_properties": {"tenant": "t1"},
                "content_type": "text/plain",
            }

    run(go())


def test_cosmos_db_trigger():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            assert raw(found["cosmos_changes"])["docs"]["leaseContainerName"] == "leases"
            ids = await index_and_load(host)
            docs = pb.TypedData(json='[{"id": "a", "qty": 1}, {"id": "b"}]')
            response = await host.invoke(ids["cosmos_changes"], {"docs": docs})
            assert report_of(response) == [{"id": "a", "qty": 1}, {"id": "b", "qty": None}]

    run(go())


def test_event_grid_trigger():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            event = {
                "id": "ev-1",
                "topic": "/subscriptions/x",
                "subject": "things/1",
                "eventType": "Thing.Created",
                "eventTime": "2024-01-01T00:00:00Z",
                "data": {"size": 3},
                "dataVersion": "1",
            }
            response = await host.invoke(ids["grid_event"], {"event": pb.TypedData(json=json.dumps(event))})
            assert report_of(response) == {
                "id": "ev-1",
                "subject": "things/1",
                "event_type": "Thing.Created",
                "data": {"size": 3},
                "topic": "/subscriptions/x",
            }

    run(go())


def test_generic_trigger_input_and_output_bindings():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            bindings = raw(found["generic"])
            assert bindings["payload"] == {
                "direction": "IN",
                "type": "customTrigger",
                "name": "payload",
                "queue": "custom-in",
            }
            assert bindings["extra"] == {
                "direction": "IN",
                "dataType": "STRING",
                "type": "customInput",
                "name": "extra",
                "lookup": "key-1",
            }
            assert bindings["out"] == {
                "direction": "OUT",
                "type": "customOutput",
                "name": "out",
                "target": "custom-out",
            }
            assert found["generic"].bindings["extra"].data_type == STRING
            ids = await index_and_load(host)
            response = await host.invoke(
                ids["generic"], {"payload": pb.TypedData(string="p"), "extra": pb.TypedData(string="x")}
            )
            assert response.result.status == SUCCESS, response.result.exception.message
            assert {o.name: o.data.string for o in response.output_data} == {"out": "p+x"}
            assert json.loads(response.return_value.json) == {"payload": "p", "extra": "x"}
            untyped = await host.invoke(ids["generic_untyped"], {"payload": pb.TypedData(bytes=b"raw")})
            assert untyped.result.status == SUCCESS, untyped.result.exception.message
            assert {o.name: o.data.bytes for o in untyped.output_data} == {"out": b"raw"}

    run(go())
