"""Blueprints attached with register_functions / register_blueprint index and run like app functions."""

from __future__ import annotations

import json
import os
import uuid

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import FIXED_DELAY, SUCCESS, app_path, index, index_and_load, run
from tests.integration.fakehost import start_worker

APP = app_path("v2_blueprint")


def trigger_json(function: pb.RpcFunctionMetadata) -> dict:
    return next(b for b in map(json.loads, function.raw_bindings) if b["type"].endswith("Trigger"))


def test_blueprint_functions_are_indexed_with_the_app_functions():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            assert set(found) == {"home", "get_order", "CreateOrder", "run_job", "nightly"}
            for name, function in found.items():
                assert function.directory == APP
                assert function.script_file == "function_app.py"
                assert function.entry_point == name
                assert function.function_id == str(uuid.uuid5(uuid.NAMESPACE_OID, name))
            # the app's http_auth_level reaches blueprint routes without their own
            assert trigger_json(found["get_order"])["authLevel"] == "ANONYMOUS"
            assert trigger_json(found["CreateOrder"])["authLevel"] == "FUNCTION"
            nightly = found["nightly"].retry_options
            assert (nightly.retry_strategy, nightly.max_retry_count, nightly.delay_interval.seconds) == (
                FIXED_DELAY,
                2,
                60,
            )
            assert not [log.message for log in host.channel.logs if "Blueprint" in log.message]

    run(go())


def test_blueprint_http_function_with_shared_and_relative_imports_and_its_own_directory():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            req = http_request("GET", "http://localhost/api/orders/17", params={"order_id": "17"})
            response = await host.invoke(ids["get_order"], {"req": req})
            assert response.result.status == SUCCESS, response.result.exception.message
            assert json.loads(response.return_value.http.body.bytes) == {
                "order_id": "17",
                "greeting": "hello from orders",
                "price": 19.98,
                "function_directory": os.path.join(APP, "blueprints"),
            }
            home = await host.invoke(ids["home"], {"req": http_request("GET", "http://localhost/api/home")})
            assert home.return_value.http.body.bytes == b"hello from home"

    run(go())


def test_blueprint_output_binding_and_async_queue_trigger():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            req = http_request("POST", "http://localhost/api/orders", body=b'{"sku": "x"}')
            response = await host.invoke(ids["CreateOrder"], {"req": req})
            assert response.return_value.http.status_code == "202"
            assert {o.name: o.data.string for o in response.output_data} == {"created": '{"sku": "x"}'}
            iid = str(uuid.uuid4())
            job = await host.invoke(ids["run_job"], {"job": pb.TypedData(string="j-9")}, invocation_id=iid)
            assert job.result.status == SUCCESS, job.result.exception.message
            assert "running job j-9" in [log.message for log in host.channel.logs_for(iid)]

    run(go())
