"""Blueprints attached with register_functions / register_blueprint index and run like app functions."""
from __future__ import annotations

import asyncio
import json
import os
import uuid

from tests.integration.fakehost import FakeHost, start_worker
from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb

APP = os.path.abspath(os.path.join(os.path.dirname(os.path.dirname(__file__)), "apps", "v2_blueprint"))
SUCCESS = pb.StatusResult.Success
FIXED_DELAY = pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def index(host: FakeHost) -> dict[str, pb.RpcFunctionMetadata]:
    response = await host.channel.functions_metadata(host.app_dir)
    assert response.result.status == SUCCESS, response.result.exception.message
    found = {f.name: f for f in response.function_metadata_results}
    for function in found.values():
        assert function.status.status == SUCCESS, function.status.exception.message
        loaded = await host.channel.load(function.function_id, function)
        assert loaded.result.status == SUCCESS, loaded.result.exception.message
    return found


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
                FIXED_DELAY, 2, 60)
            assert not [log.message for log in host.channel.logs if "Blueprint" in log.message]
    run(go())


def test_blueprint_http_function_with_shared_and_relative_imports_and_its_own_directory():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            req = http_request("GET", "http://localhost/api/orders/17", params={"order_id": "17"})
            response = await host.invoke(found["get_order"].function_id, {"req": req})
            assert response.result.status == SUCCESS, response.result.exception.message
            assert json.loads(response.return_value.http.body.bytes) == {
                "order_id": "17", "greeting": "hello from orders", "price": 19.98,
                "function_directory": os.path.join(APP, "blueprints")}
            home = await host.invoke(found["home"].function_id, {"req": http_request(
                "GET", "http://localhost/api/home")})
            assert home.return_value.http.body.bytes == b"hello from home"
    run(go())


def test_blueprint_output_binding_and_async_queue_trigger():
    async def go():
        async with start_worker(APP) as host:
            found = await index(host)
            req = http_request("POST", "http://localhost/api/orders", body=b'{"sku": "x"}')
            response = await host.invoke(found["CreateOrder"].function_id, {"req": req})
            assert response.return_value.http.status_code == "202"
            assert {o.name: o.data.string for o in response.output_data} == {"created": '{"sku": "x"}'}
            iid = str(uuid.uuid4())
            job = await host.invoke(found["run_job"].function_id, {"job": pb.TypedData(string="j-9")},
                                    invocation_id=iid)
            assert job.result.status == SUCCESS, job.result.exception.message
            assert "running job j-9" in [log.message for log in host.channel.logs_for(iid)]
    run(go())
