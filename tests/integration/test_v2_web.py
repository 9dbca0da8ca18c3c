"""ASGI (FastAPI) and WSGI (Flask) apps through func.AsgiFunctionApp / func.WsgiFunctionApp."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from azure.functions.decorators.http import HttpMethod

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import ERROR, SUCCESS, app_path, run
from tests.integration.fakehost import FakeHost, start_worker

FASTAPI_APP = app_path("v2_fastapi")
FLASK_APP = app_path("v2_flask")

pytest.importorskip("fastapi")
pytest.importorskip("flask")


async def load_http_app(host: FakeHost) -> str:
    """Index the app, check it is the one catch-all http function, load it; its function id."""
    response = await host.channel.functions_metadata(host.app_dir)
    assert response.result.status == SUCCESS, response.result.exception.message
    (function,) = response.function_metadata_results
    assert function.name == "http_app_func"
    assert function.status.status == SUCCESS, function.status.exception.message
    trigger = json.loads(function.raw_bindings[0])
    assert trigger["type"] == "httpTrigger" and trigger["route"] == "/{*route}"
    assert trigger["authLevel"] == "ANONYMOUS"
    # every method the library knows (azure-functions 2.x adds QUERY)
    assert (
        set(trigger["methods"])
        == {m.value for m in HttpMethod}
        >= {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    )
    loaded = await host.channel.load(function.function_id, function)
    assert loaded.result.status == SUCCESS, loaded.result.exception.message
    return function.function_id


async def call(
    host: FakeHost,
    function_id: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    invocation_id: str | None = None,
) -> pb.RpcHttp:
    req = http_request(
        method, f"http://localhost{path}", headers=headers, body=body, params={"route": path.split("?")[0].lstrip("/")}
    )
    response = await host.invoke(function_id, {"req": req}, invocation_id=invocation_id)
    assert response.result.status == SUCCESS, (
        f"{response.result.exception.message}\n{response.result.exception.stack_trace}"
    )
    return response.return_value.http


def headers_of(http: pb.RpcHttp) -> dict[str, str]:
    return {k.lower(): v for k, v in http.headers.items()}


# ---- FastAPI ------------------------------------------------------------------------------------


def test_fastapi_path_and_query_params():
    async def go():
        async with start_worker(FASTAPI_APP) as host:
            fid = await load_http_app(host)
            http = await call(host, fid, "GET", "/items/42?q=pen")
            assert http.status_code == "200"
            assert json.loads(http.body.bytes) == {"item_id": 42, "q": "pen"}
            assert headers_of(http)["content-type"] == "application/json"

    run(go())


def test_fastapi_json_body_status_and_headers():
    async def go():
        async with start_worker(FASTAPI_APP) as host:
            fid = await load_http_app(host)
            http = await call(
                host, fid, "POST", "/echo", body=b'{"a": [1, 2]}', headers={"Content-Type": "application/json"}
            )
            assert json.loads(http.body.bytes) == {"got": {"a": [1, 2]}, "content_type": "application/json"}
            created = await call(host, fid, "GET", "/created")
            assert created.status_code == "201"
            assert headers_of(created)["x-app"] == "fastapi"
            missing = await call(host, fid, "GET", "/nowhere")
            assert missing.status_code == "404"

    run(go())


def test_fastapi_lifespan_startup_runs_once_and_invocation_id_reaches_scope_and_logs():
    async def go():
        async with start_worker(FASTAPI_APP) as host:
            fid = await load_http_app(host)
            await asyncio.gather(*(call(host, fid, "GET", "/items/1") for _ in range(5)))
            started = await call(host, fid, "GET", "/started")
            assert json.loads(started.body.bytes) == {"started": 1}
            iid = str(uuid.uuid4())
            http = await call(host, fid, "GET", "/invocation", invocation_id=iid)
            assert json.loads(http.body.bytes) == {"invocation_id": iid}
            assert "fastapi handled /invocation" in [log.message for log in host.channel.logs_for(iid)]

    run(go())


def test_fastapi_lifespan_shutdown_runs_when_the_worker_exits(tmp_path):
    log = tmp_path / "lifespan.log"

    async def go():
        async with start_worker(FASTAPI_APP, env={"V2_LIFESPAN_LOG": str(log)}) as host:
            fid = await load_http_app(host)
            await call(host, fid, "GET", "/items/1")
            assert not log.exists()
        assert host.process.returncode == 0
        assert log.read_text() == "shutdown\n"
        assert not [line.text for line in host.output if "Failed ASGI shutdown" in line.text]

    run(go())


def test_fastapi_concurrent_requests_overlap_on_the_event_loop():
    async def go():
        async with start_worker(FASTAPI_APP) as host:
            fid = await load_http_app(host)
            await call(host, fid, "GET", "/sleep?seconds=0")  # lifespan startup out of the timing
            start = time.perf_counter()
            results = await asyncio.gather(*(call(host, fid, "GET", "/sleep?seconds=0.2") for _ in range(50)))
            elapsed = time.perf_counter() - start
            assert all(json.loads(r.body.bytes) == {"slept": 0.2} for r in results)
            # 50 × 0.2 s = 10 s if they ran one after another
            assert elapsed < 5.0, f"50 concurrent requests took {elapsed:.2f} s"
            print(f"50 concurrent FastAPI requests of 0.2 s: {elapsed:.2f} s")

    run(go())


# ---- Flask --------------------------------------------------------------------------------------


def test_flask_query_params_and_text_body():
    async def go():
        async with start_worker(FLASK_APP) as host:
            fid = await load_http_app(host)
            http = await call(host, fid, "GET", "/hello?name=Ada")
            assert http.status_code == "200"
            assert http.body.bytes == b"Hello, Ada!"
            assert headers_of(http)["content-type"].startswith("text/html")

    run(go())


def test_flask_json_body_route_params_status_and_headers():
    async def go():
        async with start_worker(FLASK_APP) as host:
            fid = await load_http_app(host)
            echo = await call(
                host, fid, "POST", "/echo", body=b'{"x": 1}', headers={"Content-Type": "application/json"}
            )
            assert json.loads(echo.body.bytes) == {"got": {"x": 1}, "content_type": "application/json"}
            user = await call(host, fid, "GET", "/users/9")
            assert user.status_code == "202"
            assert json.loads(user.body.bytes) == {"user_id": 9}
            assert headers_of(user)["x-app"] == "flask"
            assert (await call(host, fid, "GET", "/nowhere")).status_code == "404"

    run(go())


def test_flask_invocation_id_reaches_environ_and_logs_and_requests_use_the_pool():
    async def go():
        async with start_worker(FLASK_APP, env={"PYTHON_THREADPOOL_THREAD_COUNT": "10"}) as host:
            fid = await load_http_app(host)
            iid = str(uuid.uuid4())
            http = await call(host, fid, "GET", "/invocation", invocation_id=iid)
            assert json.loads(http.body.bytes) == {"invocation_id": iid}
            assert "flask handled /invocation" in [log.message for log in host.channel.logs_for(iid)]
            start = time.perf_counter()
            await asyncio.gather(*(call(host, fid, "GET", "/sleep?seconds=0.3") for _ in range(10)))
            assert time.perf_counter() - start < 2.0  # 3 s if serial
            assert not [log.message for log in host.channel.logs if log.level == ERROR]

    run(go())
