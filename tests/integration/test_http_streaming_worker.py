"""HTTP streaming in the worker (protocol §13), driven by a fake host: the capabilities at init,
the request paired by x-ms-invocation-id, route values from the RpcHttp, failures on both sides."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import aiohttp

from quickfunc.host.request_builders import build_invocation, indexed_load_metadata
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, run, write_app
from tests.integration.fakehost import FakeHost, start_worker

APP = app_path("http_streaming")
INIT_INDEXING = {"PYTHON_ENABLE_INIT_INDEXING": "1"}


def caps_of(host: FakeHost) -> dict[str, str]:
    assert host.init_response is not None
    return dict(host.init_response.capabilities)


async def load_all(host: FakeHost, app_dir: str) -> dict[str, tuple[str, pb.FunctionLoadResponse]]:
    metadata = await host.channel.functions_metadata(app_dir)
    assert metadata.result.status == SUCCESS, metadata.result.exception.message
    loaded = {}
    for function in metadata.function_metadata_results:
        response = await host.channel.load(function.function_id, indexed_load_metadata(function))
        loaded[function.name] = (function.function_id, response)
    return loaded


async def forward(host: FakeHost, function_id: str, method: str, path: str, params: dict[str, str], **kw):
    """What the host does for a streaming HTTP function: the request to HttpUri with the
    invocation id, and an InvocationRequest whose RpcHttp carries only the route values."""
    base = caps_of(host)["HttpUri"]
    iid = str(uuid.uuid4())
    request = build_invocation(function_id, {"req": pb.TypedData(http=pb.RpcHttp(params=params))}, None, iid)
    invocation = asyncio.ensure_future(host.channel.invoke(request, timeout=30))
    async with aiohttp.ClientSession() as session:
        headers = {"x-ms-invocation-id": iid, **kw.pop("headers", {})}
        async with session.request(method, base + path, headers=headers, **kw) as response:
            body = await response.read()
            status, response_headers = response.status, response.headers
    return status, response_headers, body, await asyncio.wait_for(invocation, 30)


def test_streaming_app_advertises_its_server_and_pairs_requests():
    async def go():
        async with start_worker(APP, env=INIT_INDEXING) as host:
            caps = caps_of(host)
            assert caps["HttpUri"].startswith("http://127.0.0.1:")
            assert caps["RequiresRouteParameters"] == "true"
            loaded = await load_all(host, APP)
            assert all(r.result.status == SUCCESS for _, r in loaded.values()), loaded
            # route values come from the RpcHttp params, whatever the forwarded path says
            status, headers, body, answer = await forward(
                host, loaded["items"][0], "POST", "/api/items/x/1?q=2", {"category": "books", "id": "7"}
            )
            assert status == 201 and headers["x-items"] == "yes"
            assert json.loads(body) == {
                "params": {"category": "books", "id": "7"},
                "query": {"q": "2"},
                "method": "POST",
            }
            assert answer.result.status == SUCCESS
            assert not answer.HasField("return_value")  # the response went back over HTTP
            # a plain def function runs on the pool and gets the same request
            status, _, body, answer = await forward(
                host, loaded["plain"][0], "GET", "/api/plain?name=ann", {}, headers={"x-test": "t1"}
            )
            assert (status, answer.result.status) == (200, SUCCESS)
            assert body == b'{"hello":"ann","header":"t1"}'

    run(go())


def test_an_exception_fails_the_invocation_and_the_http_response():
    async def go():
        async with start_worker(APP, env=INIT_INDEXING) as host:
            loaded = await load_all(host, APP)
            status, _, _, answer = await forward(host, loaded["boom"][0], "GET", "/api/boom", {})
            assert status == 500
            assert answer.result.status == FAILURE
            assert "boom from the streaming function" in answer.result.exception.message
            # the server keeps serving
            status, _, _, answer = await forward(host, loaded["plain"][0], "GET", "/api/plain", {})
            assert (status, answer.result.status) == (200, SUCCESS)

    run(go())


async def listening(url: str, timeout: float = 10.0) -> None:
    """Wait (bounded) until the worker's server accepts connections: it starts as the init
    answer leaves, and a host sends it requests only after loading the functions."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.close()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


def test_a_request_without_invocation_id_is_refused():
    async def go():
        async with start_worker(APP, env=INIT_INDEXING) as host:
            await listening(caps_of(host)["HttpUri"])
            async with aiohttp.ClientSession() as session:
                async with session.get(caps_of(host)["HttpUri"] + "/api/plain") as response:
                    assert response.status == 400
                    assert "x-ms-invocation-id" in await response.text()

    run(go())


def test_without_init_indexing_the_indexing_fails_naming_the_setting():
    async def go():
        async with start_worker(APP) as host:
            assert "HttpUri" not in caps_of(host)
            metadata = await host.channel.functions_metadata(APP)
            assert metadata.result.status == FAILURE
            assert metadata.result.exception.type == "AppSettingDisabledError"
            assert '"PYTHON_ENABLE_INIT_INDEXING": "1"' in metadata.result.exception.message
            assert "local.settings.json" in metadata.result.exception.message
            assert not metadata.function_metadata_results

    run(go())


def test_classic_annotations_in_a_streaming_app_are_refused():
    app = app_path("http_streaming_mixed")

    async def go():
        async with start_worker(app, env=INIT_INDEXING) as host:
            assert "HttpUri" in caps_of(host)
            loaded = await load_all(host, app)
            assert loaded["new"][1].result.status == SUCCESS
            old = loaded["old"][1].result
            assert old.status == FAILURE
            message = old.exception.message
            assert "parameter 'req' is annotated azure.functions.HttpRequest" in message
            assert "annotate it with Request from azurefunctions.extensions.http.fastapi" in message

    run(go())


def test_apps_without_the_extension_advertise_no_server():
    async def go():
        async with start_worker(app_path("host_v2"), env=INIT_INDEXING) as host:
            caps = caps_of(host)
            assert "HttpUri" not in caps and "RequiresRouteParameters" not in caps

    run(go())


def test_environment_reload_into_a_streaming_app_advertises_the_server(tmp_path):
    placeholder = tmp_path / "placeholder"
    placeholder.mkdir()

    async def go():
        async with start_worker(str(placeholder)) as host:
            assert "HttpUri" not in caps_of(host)
            env = {"PATH": os.environ.get("PATH", ""), **INIT_INDEXING}
            reloaded = await host.channel.reload_environment(env, APP)
            assert reloaded.result.status == SUCCESS, reloaded.result.exception.message
            assert reloaded.capabilities["HttpUri"].startswith("http://127.0.0.1:")
            assert reloaded.capabilities["RequiresRouteParameters"] == "true"

    run(go())


def test_the_server_shuts_down_cleanly_with_the_worker():
    async def go():
        async with start_worker(APP, env=INIT_INDEXING) as host:
            await listening(caps_of(host)["HttpUri"])
            process = host.process
        # the stream closed and the worker exited: the framework's lifespan shutdown ran
        assert process.returncode == 0
        text = "\n".join(line.text for line in process.output)
        assert "Application shutdown complete" in text, text
        assert "Traceback" not in text and "CancelledError" not in text, text

    run(go())


def test_a_v1_function_taking_the_extension_request_is_told_it_needs_v2(tmp_path):
    binding = json.dumps(
        {
            "bindings": [
                {"type": "httpTrigger", "direction": "in", "name": "req"},
                {"type": "http", "direction": "out", "name": "$return"},
            ]
        }
    )
    app = write_app(
        tmp_path,
        {
            "hi/function.json": binding,
            "hi/__init__.py": (
                "from azurefunctions.extensions.http.fastapi import Request, Response\n"
                "async def main(req: Request) -> Response:\n"
                "    return Response('hi')\n"
            ),
        },
    )

    async def go():
        async with start_worker(app, env=INIT_INDEXING) as host:
            loaded = await host.load_v1_app()
            fid, response = loaded["hi"]
            assert response.result.status == SUCCESS, response.result.exception.message
            request = build_invocation(fid, {"req": pb.TypedData(http=pb.RpcHttp(method="GET"))}, None)
            answer = await host.channel.invoke(request, timeout=30)
            assert answer.result.status == FAILURE
            assert "v2 programming model" in answer.result.exception.message

    run(go())
