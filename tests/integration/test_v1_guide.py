"""The v1 (function.json) examples of the Azure Functions Python developer guide, end to end.

One worker process (real gRPC, fake host) serves the whole module: app ``tests/apps/v1_guide``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, failure_text, http, json_data, outputs, string

APP = app_path("v1_guide")
SETTING = "value from local.settings"


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP, env={"myAppSetting": SETTING, "PYTHON_THREADPOOL_THREAD_COUNT": "16"})


def test_every_guide_function_loads(worker):
    failed = {
        name: resp.result.exception.message for name, (_, resp) in worker.loads.items() if resp.result.status != SUCCESS
    }
    assert failed == {}
    assert "SharedCode" not in worker.loads  # no function.json: not a function
    assert len(worker.loads) == 16


def test_http_trigger_returning_fstring_becomes_string_return_value(worker):
    resp = worker.invoke("HttpTrigger", {"req": http("GET", "http://localhost/api/HttpTrigger?name=Ada")})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.WhichOneof("data") == "string"
    assert resp.return_value.string == "Hello, Ada!"
    assert list(resp.output_data) == []


def test_http_trigger_reads_name_from_json_body_when_no_query(worker):
    resp = worker.invoke(
        "HttpTrigger",
        {
            "req": http(
                "POST",
                "http://localhost/api/HttpTrigger",
                headers={"Content-Type": "application/json"},
                body=b'{"name": "Grace"}',
            )
        },
    )
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "Hello, Grace!"


def test_http_request_params_json_route_params_headers_and_response_status_headers_mimetype(worker):
    order = {"qty": 3, "notes": "fragile"}
    resp = worker.invoke(
        "HttpDetails",
        {
            "req": http(
                "post",
                "http://localhost/api/products/books/42?code=abc&lang=en",
                headers={
                    "User-Agent": "pytest/1.0",
                    "X-Custom-Header": "custom-value",
                    "Content-Type": "application/json",
                },
                params={"category": "books", "id": "42"},
                body=json.dumps(order).encode(),
            )
        },
    )
    assert resp.result.status == SUCCESS, failure_text(resp)
    out = resp.return_value.http
    assert out.status_code == "201"
    assert out.headers["X-Product-Category"] == "books"
    assert out.headers["Cache-Control"] == "no-store"
    headers = {k.lower(): v for k, v in out.headers.items()}
    assert headers["content-type"] == "application/json"
    result = json.loads(out.body.bytes)
    assert result == {
        "method": "POST",
        "url": "http://localhost/api/products/books/42?code=abc&lang=en",
        "category": "books",
        "id": "42",
        "query": {"code": "abc", "lang": "en"},
        "agent": "pytest/1.0",
        "custom": "custom-value",
        "order": order,
    }


def test_cors_headers_set_by_function_and_options_preflight(worker):
    origin = {"Origin": "https://contoso.example"}
    pre = worker.invoke(
        "HttpCors",
        {
            "req": http(
                "OPTIONS", "http://localhost/api/HttpCors", headers={**origin, "Access-Control-Request-Method": "GET"}
            )
        },
    )
    assert pre.result.status == SUCCESS, failure_text(pre)
    assert pre.return_value.http.status_code == "204"
    assert pre.return_value.http.headers["Access-Control-Allow-Origin"] == "https://contoso.example"
    assert "OPTIONS" in pre.return_value.http.headers["Access-Control-Allow-Methods"]
    assert pre.return_value.http.body.bytes == b""
    get = worker.invoke("HttpCors", {"req": http("GET", "http://localhost/api/HttpCors", headers=origin)})
    assert get.result.status == SUCCESS, failure_text(get)
    assert get.return_value.http.status_code == "200"
    assert get.return_value.http.headers["Access-Control-Allow-Origin"] == "https://contoso.example"
    assert get.return_value.http.body.bytes == b"cors ok"


def test_out_queue_message_and_return_value_at_once(worker):
    resp = worker.invoke("QueueOutput", {"req": http("GET", "http://localhost/api/q?name=Bob")})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "Hello Bob, your message is on the queue"
    out = outputs(resp)
    assert list(out) == ["msg"]
    # func.QueueMessage goes out as json {"id", "body"} (protocol §8.3)
    assert out["msg"].WhichOneof("data") == "json"
    assert json.loads(out["msg"].json)["body"] == "queued Bob"


def test_several_outputs_at_once(worker):
    body = b'{"id": "A-17", "item": "lamp"}'
    resp = worker.invoke("MultiOutput", {"req": http("POST", "http://localhost/api/order", body=body)})
    assert resp.result.status == SUCCESS, failure_text(resp)
    out = outputs(resp)
    assert sorted(out) == ["outblob", "queuemsg", "tablerow"]
    assert out["queuemsg"].string == "A-17"
    assert out["outblob"].bytes == body
    assert json.loads(out["tablerow"].string) == {"PartitionKey": "orders", "RowKey": "A-17"}
    assert resp.return_value.http.status_code == "202"
    assert resp.return_value.http.body.bytes == b"order A-17 accepted"


def test_blob_trigger_input_stream_with_name_uri_and_length_from_trigger_metadata(worker):
    content = b"hello blob world"
    metadata = {
        "BlobTrigger": string("samples-workitems/report.txt"),
        "Uri": string("https://acct.blob.core.windows.net/samples-workitems/report.txt"),
        "Properties": json_data(json.dumps({"ContentLength": len(content), "ContentType": "text/plain"})),
        "Metadata": json_data("{}"),
        "name": string("report.txt"),
    }
    resp = worker.invoke("BlobTrigger", {"myblob": pb.TypedData(bytes=content)}, metadata)
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert not resp.HasField("return_value")
    report = json.loads(outputs(resp)["report"].string)
    assert report == {
        "name": "samples-workitems/report.txt",
        "uri": "https://acct.blob.core.windows.net/samples-workitems/report.txt",
        "length": len(content),
        "content": "hello blob world",
    }
    logs = worker.logs_for(resp.invocation_id)
    assert any(
        "Name: samples-workitems/report.txt" in log.message and "Blob Size: 16 bytes" in log.message for log in logs
    )


def test_queue_trigger_reads_message_and_trigger_metadata(worker):
    metadata = {
        "Id": string("5f2c1a36-7d0d-4e0a-9b55-2c1d0e6b7f10"),
        "DequeueCount": json_data("3"),
        "InsertionTime": json_data('"2024-05-01T10:00:00+00:00"'),
        "ExpirationTime": json_data('"2024-05-08T10:00:00+00:00"'),
        "NextVisibleTime": json_data('"2024-05-01T10:10:00+00:00"'),
        "PopReceipt": string("AgAAAAMAAAAAAAAA"),
    }
    resp = worker.invoke("QueueTrigger", {"msg": string('{"task": "resize", "size": 64}')}, metadata)
    assert resp.result.status == SUCCESS, failure_text(resp)
    result = json.loads(resp.return_value.string)
    assert result == {
        "id": "5f2c1a36-7d0d-4e0a-9b55-2c1d0e6b7f10",
        "body": '{"task": "resize", "size": 64}',
        "json": {"task": "resize", "size": 64},
        "dequeue_count": 3,
        "expiration_time": "2024-05-08T10:00:00+00:00",
        "insertion_time": "2024-05-01T10:00:00+00:00",
        "time_next_visible": "2024-05-01T10:10:00+00:00",
        "pop_receipt": "AgAAAAMAAAAAAAAA",
    }


def test_timer_trigger_sees_past_due_from_timer_info_json(worker):
    timer = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": "2024-05-01T10:00:00",
            "Next": "2024-05-01T10:05:00",
            "LastUpdated": "2024-05-01T10:00:00",
        },
        "IsPastDue": True,
    }
    resp = worker.invoke("TimerTrigger", {"mytimer": json_data(json.dumps(timer))})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert not resp.HasField("return_value")
    messages = [log.message for log in worker.logs_for(resp.invocation_id)]
    assert "The timer is past due!" in messages
    assert any(m.startswith("Python timer trigger function ran at") for m in messages)

    timer["IsPastDue"] = False
    on_time = worker.invoke("TimerTrigger", {"mytimer": json_data(json.dumps(timer))})
    assert on_time.result.status == SUCCESS, failure_text(on_time)
    assert "The timer is past due!" not in [log.message for log in worker.logs_for(on_time.invocation_id)]


def test_context_parameter_carries_invocation_function_trace_and_retry_info(worker):
    request = build_invocation(
        worker.function_id("ContextInfo"),
        {"req": http("GET", "http://localhost/api/ContextInfo")},
        trace_parent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    request.trace_context.trace_state = "congo=t61rcWkgMzE"
    request.trace_context.attributes["OperationName"] = "ContextInfo"
    request.retry_context.retry_count = 2
    request.retry_context.max_retry_count = 5
    request.retry_context.exception.message = "TimeoutError: previous try timed out"
    resp = worker.invoke_request(request)
    assert resp.result.status == SUCCESS, failure_text(resp)
    info = json.loads(resp.return_value.http.body.bytes)
    assert info == {
        "invocation_id": request.invocation_id,
        "function_name": "ContextInfo",
        "function_directory": os.path.join(APP, "ContextInfo"),
        "trace_parent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "trace_state": "congo=t61rcWkgMzE",
        "trace_attributes": {"OperationName": "ContextInfo"},
        "retry_count": 2,
        "max_retry_count": 5,
        "retry_error": "TimeoutError: previous try timed out",
    }


def _ten_at_once(worker, name: str) -> tuple[float, list[pb.InvocationResponse]]:
    function_id = worker.function_id(name)

    async def go():
        channel = worker.channel
        requests = [build_invocation(function_id, {"req": http("GET", f"http://x/api/{i}")}) for i in range(10)]
        start = time.monotonic()
        responses = await asyncio.gather(*(channel.invoke(r, timeout=15) for r in requests))
        return time.monotonic() - start, responses

    return worker.run(go(), 30)


def _overlapping(responses: list[pb.InvocationResponse]) -> bool:
    spans = [tuple(map(float, r.return_value.string.split()[:2])) for r in responses]
    latest_start = max(s for s, _ in spans)
    earliest_end = min(e for _, e in spans)
    return latest_start < earliest_end  # every run was in progress at one common moment


def test_async_functions_overlap_on_the_event_loop(worker):
    elapsed, responses = _ten_at_once(worker, "AsyncSleep")
    assert all(r.result.status == SUCCESS for r in responses), [failure_text(r) for r in responses]
    assert elapsed < 2.5, f"10 x asyncio.sleep(0.5) took {elapsed:.2f}s: they did not overlap"
    assert _overlapping(responses)


def test_sync_functions_overlap_in_the_thread_pool(worker):
    elapsed, responses = _ten_at_once(worker, "SyncSleep")
    assert all(r.result.status == SUCCESS for r in responses), [failure_text(r) for r in responses]
    assert elapsed < 2.5, f"10 x time.sleep(0.5) took {elapsed:.2f}s: they did not overlap"
    assert _overlapping(responses)
    threads = {r.return_value.string.split()[2] for r in responses}
    assert len(threads) > 1


def test_global_cache_is_kept_across_invocations(worker):
    counts = [int(worker.invoke("GlobalCache", {"req": http()}).return_value.string) for _ in range(3)]
    assert counts[1] == counts[0] + 1 and counts[2] == counts[0] + 2


def test_app_setting_is_read_from_os_environ(worker):
    resp = worker.invoke("AppSetting", {"req": http()})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == f"myAppSetting = {SETTING}"


def test_alternate_script_file_and_entry_point(worker):
    resp = worker.invoke("AltScript", {"req": http()})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "custom entry point in __app__.AltScript.main"


def test_app_package_and_relative_imports(worker):
    resp = worker.invoke("SharedImports", {"req": http("GET", "http://x/api/s?name=Lin")})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "Greetings, Lin (from __app__.SharedCode.greetings) DONE!"


def test_user_exception_is_a_failure_with_user_frames_and_worker_keeps_serving(worker):
    resp = worker.invoke("Raises", {"req": http("GET", "http://x/api/r?n=abc")})
    assert resp.result.status == FAILURE
    exc = resp.result.exception
    assert exc.message == "ValueError: not a number: 'abc'"
    script = os.path.join(APP, "Raises", "__init__.py")
    assert f'File "{script}", line 11, in main' in exc.stack_trace
    assert f'File "{script}", line 6, in validate' in exc.stack_trace
    assert "raise ValueError" in exc.stack_trace
    files = [line.split('"')[1] for line in exc.stack_trace.splitlines() if line.startswith('  File "')]
    assert files == [script, script]  # no worker or thread-pool frames around them
    assert not resp.HasField("return_value") and list(resp.output_data) == []

    ok = worker.invoke("Raises", {"req": http("GET", "http://x/api/r?n=21")})
    assert ok.result.status == SUCCESS, failure_text(ok)
    assert ok.return_value.string == "42"
