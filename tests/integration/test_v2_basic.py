"""v2 (decorator) counterparts of the v1 end-to-end tests, through the fake host and a worker process."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, USER, app_path, body_of, index_and_load, run
from tests.integration.fakehost import FakeHost, start_worker

APP = app_path("v2_basic")


def get(path: str, **kw) -> dict[str, pb.TypedData]:
    return {"req": http_request("GET", f"http://localhost/api/{path}", **kw)}


# ---- http ---------------------------------------------------------------------------------------


def test_v2_http_reads_query_params():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(ids["hello"], get("hello?name=Ada"))
            assert body_of(response) == b"Hello, Ada!"
            assert response.return_value.http.status_code == "200"

    run(go())


def test_v2_http_reads_json_body_with_get_json():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            req = http_request(
                "POST",
                "http://localhost/api/hello",
                body=b'{"name": "Grace"}',
                headers={"Content-Type": "application/json"},
            )
            assert body_of(await host.invoke(ids["hello"], {"req": req})) == b"Hello, Grace!"
            missing = await host.invoke(ids["hello"], get("hello"))
            assert missing.return_value.http.status_code == "400"

    run(go())


def test_v2_http_route_params_reach_the_function():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(
                ids["route_params"], get("users/7/items/pen", params={"user_id": "7", "item": "pen"})
            )
            assert json.loads(body_of(response)) == {"user_id": "7", "item": "pen"}

    run(go())


def test_v2_http_request_headers_method_and_url():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(ids["echo_headers"], get("echo_headers?x=1", headers={"X-Custom": "abc"}))
            assert json.loads(body_of(response)) == {
                "x-custom": "abc",
                "method": "GET",
                "url": "http://localhost/api/echo_headers?x=1",
            }

    run(go())


def test_v2_http_response_status_headers_and_mimetype():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            assert "CustomResponse" in ids  # @app.function_name renames the function
            response = await host.invoke(ids["CustomResponse"], get("custom"))
            http = response.return_value.http
            assert json.loads(body_of(response)) == {"created": True}
            assert http.status_code == "201"
            headers = {k.lower(): v for k, v in http.headers.items()}
            assert headers["x-result"] == "made"
            assert headers["cache-control"] == "no-store"
            assert headers["content-type"] == "application/json"

    run(go())


def test_v2_str_return_for_http_output_is_a_string():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(ids["plain_string"], get("plain"))
            assert response.result.status == SUCCESS
            assert response.return_value.string == "just a string"

    run(go())


def test_v2_user_exception_is_an_invocation_failure():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(ids["fail"], get("fail"))
            assert response.result.status == FAILURE
            assert response.result.exception.message == "ValueError: this function always fails"
            assert "function_app.py" in response.result.exception.stack_trace
            # the worker keeps serving
            assert body_of(await host.invoke(ids["hello"], get("hello?name=x"))) == b"Hello, x!"

    run(go())


def test_v2_several_outputs_at_once():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            req = http_request("POST", "http://localhost/api/fan_out", body=b"payload")
            response = await host.invoke(ids["fan_out"], {"req": req})
            assert response.return_value.http.status_code == "202"
            outputs = {o.name: o.data for o in response.output_data}
            assert outputs["audit"].string == "received 7 bytes"
            assert outputs["archive"].bytes == b"payload"

    run(go())


def test_v2_module_globals_are_kept_across_invocations():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            bodies = [body_of(await host.invoke(ids["counter"], get("counter"))) for _ in range(3)]
            assert bodies == [b"1", b"2", b"3"]

    run(go())


def test_v2_app_settings_are_read_from_the_environment():
    async def go():
        async with start_worker(APP, env={"MY_APP_SETTING": "from settings"}) as host:
            ids = await index_and_load(host)
            assert body_of(await host.invoke(ids["setting"], get("setting"))) == b"from settings"

    run(go())


# ---- queue, blob, timer -------------------------------------------------------------------------


def test_v2_queue_output_through_out_parameter_and_http_return():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(ids["enqueue"], get("enqueue?text=milk"))
            assert body_of(response) == b"ok"
            outputs = {o.name: o.data for o in response.output_data}
            assert outputs["msg"].string == "queued: milk"

    run(go())


def test_v2_queue_trigger_return_goes_to_queue_output():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            response = await host.invoke(
                ids["forward"], {"item": pb.TypedData(string="shout")}, {"Id": pb.TypedData(string="m1")}
            )
            assert response.result.status == SUCCESS, response.result.exception.message
            assert response.return_value.string == "SHOUT"
            assert list(response.output_data) == []

    run(go())


def test_v2_queue_trigger_metadata():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            metadata = {
                "Id": pb.TypedData(string="abc-123"),
                "DequeueCount": pb.TypedData(json="3"),
                "InsertionTime": pb.TypedData(json='"2024-05-06T07:08:09+00:00"'),
                "PopReceipt": pb.TypedData(string="receipt"),
            }
            response = await host.invoke(ids["queue_metadata"], {"msg": pb.TypedData(string="hi")}, metadata)
            assert response.result.status == SUCCESS, response.result.exception.message
            report = json.loads({o.name: o.data for o in response.output_data}["report"].string)
            assert report == {
                "id": "abc-123",
                "body": "hi",
                "dequeue_count": 3,
                "insertion_time": "2024-05-06T07:08:09+00:00",
                "pop_receipt": "receipt",
            }

    run(go())


def test_v2_blob_input_as_input_stream():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            inputs = get("blob/a.txt", params={"name": "a.txt"})
            inputs["file"] = pb.TypedData(bytes=b"blob content")
            response = await host.invoke(ids["read_blob"], inputs)
            assert body_of(response) == b"12 bytes: blob content"

    run(go())


def test_v2_timer_trigger_receives_timer_request():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            timer = pb.TypedData(
                json=json.dumps({"Schedule": {"AdjustForDST": True}, "ScheduleStatus": None, "IsPastDue": True})
            )
            iid = str(uuid.uuid4())
            response = await host.invoke(ids["every_five_minutes"], {"timer": timer}, invocation_id=iid)
            assert response.result.status == SUCCESS, response.result.exception.message
            assert not response.HasField("return_value")
            messages = [log.message for log in host.channel.logs_for(iid)]
            assert "timer fired, past_due=True" in messages

    run(go())


# ---- context, concurrency, logs -----------------------------------------------------------------


def test_v2_context_has_invocation_id_function_name_and_directory():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            iid = str(uuid.uuid4())
            response = await host.invoke(ids["with_context"], get("context"), invocation_id=iid)
            assert json.loads(body_of(response)) == {
                "invocation_id": iid,
                "function_name": "with_context",
                "function_directory": os.path.abspath(APP),
            }

    run(go())


def test_v2_async_invocations_overlap_and_sync_ones_run_in_the_pool():
    async def timed(host: FakeHost, function_id: str, path: str, count: int) -> float:
        start = time.perf_counter()
        responses = await asyncio.gather(*(host.invoke(function_id, get(path)) for _ in range(count)))
        assert all(body_of(r) == b"slept" for r in responses)
        return time.perf_counter() - start

    async def go():
        async with start_worker(APP, env={"PYTHON_THREADPOOL_THREAD_COUNT": "10"}) as host:
            ids = await index_and_load(host)
            # 10 × 0.5 s: sequential would take 5 s
            assert await timed(host, ids["async_sleep"], "async_sleep?seconds=0.5", 10) < 2.5
            assert await timed(host, ids["sync_sleep"], "sync_sleep?seconds=0.5", 10) < 2.5

    run(go())


def test_v2_user_logs_carry_the_invocation_id():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            first, second = str(uuid.uuid4()), str(uuid.uuid4())
            await asyncio.gather(
                host.invoke(ids["logs"], get("logs?marker=one"), invocation_id=first),
                host.invoke(ids["logs"], get("logs?marker=two"), invocation_id=second),
            )
            for iid, marker in ((first, "one"), (second, "two")):
                logs = {log.message: log for log in host.channel.logs_for(iid)}
                for text in ("user log", "module log", "task log", "thread log"):
                    assert f"{text} {marker}" in logs, sorted(logs)
                    assert logs[f"{text} {marker}"].log_category == USER
                assert logs[f"user log {marker}"].category == "root"
                assert logs[f"module log {marker}"].category == "my.module"
            other = {first: " two", second: " one"}
            for iid in (first, second):
                assert not [m for m in (log.message for log in host.channel.logs_for(iid)) if m.endswith(other[iid])]

    run(go())
