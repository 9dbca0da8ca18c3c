"""What many tests share, defined once: paths, protocol constants, input builders, small checks."""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
import uuid
from collections.abc import Awaitable
from typing import Any

from quickfunc.host.request_builders import build_invocation, http_request, indexed_load_metadata
from quickfunc.protos import pb
from quickfunc.settings import Settings
from quickfunc.state import WorkerState

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS_DIR = os.path.join(REPO_ROOT, "tests", "apps")

SUCCESS = pb.StatusResult.Success
FAILURE = pb.StatusResult.Failure
CANCELLED = pb.StatusResult.Cancelled
USER = pb.RpcLog.RpcLogCategory.Value("User")
SYSTEM = pb.RpcLog.RpcLogCategory.Value("System")
LEVEL = pb.RpcLog.Level.Value  # LEVEL("Information") etc.
ERROR = LEVEL("Error")
IN, OUT, INOUT = (pb.BindingInfo.Direction.Value(d) for d in ("in", "out", "inout"))
STRING = pb.BindingInfo.DataType.Value("string")
FIXED_DELAY = pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")
EXPONENTIAL = pb.RpcRetryOptions.RetryStrategy.Value("exponential_backoff")


def checkout_first(pythonpath: str) -> str:
    """A PYTHONPATH value with this checkout first (for worker and host subprocesses)."""
    return os.pathsep.join([REPO_ROOT] + [p for p in pythonpath.split(os.pathsep) if p])


def app_path(name: str) -> str:
    """The test app `tests/apps/<name>`."""
    return os.path.join(APPS_DIR, name)


def run(coro: Awaitable[Any], timeout: float = 60.0) -> Any:
    """Run one test coroutine in a fresh loop with a hard bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def worker_state(sent: list[pb.StreamingMessage] | None = None, request_id: str = "r", **fields: Any) -> WorkerState:
    """A WorkerState with default settings whose `send` appends to `sent` (or drops);
    shut its `executor` down when done."""
    return WorkerState(
        send=sent.append if sent is not None else (lambda message: None),
        request_id=request_id,
        settings=Settings(),
        **fields,
    )


# ---- building inputs --------------------------------------------------------------------------


def http(method: str = "GET", url: str = "http://localhost/api/f", **kw: Any) -> pb.TypedData:
    return http_request(method, url, **kw)


def string(value: str) -> pb.TypedData:
    return pb.TypedData(string=value)


def json_data(text: str) -> pb.TypedData:
    return pb.TypedData(json=text)


def seconds_request(function_id: str, seconds: float, invocation_id: str | None = None) -> pb.InvocationRequest:
    """An HTTP invocation with `?seconds=` (the test apps' sleeping functions read it)."""
    url = f"http://x/api/f?seconds={seconds}"
    return build_invocation(function_id, {"req": http("GET", url)}, invocation_id=invocation_id)


#: function.json of an HTTP function that returns its answer
HTTP_FUNCTION = {
    "scriptFile": "__init__.py",
    "bindings": [
        {"type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "anonymous"},
        {"type": "http", "direction": "out", "name": "$return"},
    ],
}


def write_v1_function(
    app_dir: Any, name: str, code: str = "def main(req):\n    return 'ok'\n", config: dict | str = HTTP_FUNCTION
) -> str:
    """A v1 function folder `app_dir/name` (function.json and __init__.py); its path."""
    folder = os.path.join(str(app_dir), name)
    os.makedirs(folder)
    with open(os.path.join(folder, "function.json"), "w", encoding="utf-8") as f:
        f.write(config if isinstance(config, str) else json.dumps(config))
    with open(os.path.join(folder, "__init__.py"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(code))
    return folder


def write_app(root: Any, files: dict[str, str]) -> str:
    """The app folder `root/app` holding `files` ({relative path: text}, dedented); its path."""
    app = os.path.join(str(root), "app")
    for path, text in files.items():
        full = os.path.join(app, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text))
    return app


def write_v2_app(root: Any, script: str, files: dict[str, str] | None = None) -> str:
    """A v2 app folder `root/app`: function_app.py is `script`, with other `files`."""
    return write_app(root, {"function_app.py": script, **(files or {})})


def indexed_id(name: str) -> str:
    """The id the worker gives the indexed function `name` (the same in every worker process)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


# ---- reading answers --------------------------------------------------------------------------


def failure_text(response: Any) -> str:
    """The message and stack trace of a response's result (for assertion messages)."""
    exc = response.result.exception
    return f"{exc.message}\n{exc.stack_trace}"


def outputs(response: pb.InvocationResponse) -> dict[str, pb.TypedData]:
    return {p.name: p.data for p in response.output_data}


def body_of(response: pb.InvocationResponse) -> bytes:
    """The HTTP body a successful invocation returned."""
    assert response.result.status == SUCCESS, response.result.exception.message
    return response.return_value.http.body.bytes


def stderr_of(host: Any) -> str:
    """What a worker process (a FakeHost) wrote to stderr so far."""
    return "\n".join(line.text for line in host.output if line.stream == "stderr")


# ---- v2 apps through a host channel (a FakeHost, or anything with .channel and .app_dir) ---------


async def index(host: Any) -> dict[str, pb.RpcFunctionMetadata]:
    """Index the app; every function must have indexed cleanly: {name: metadata}."""
    response = await host.channel.functions_metadata(host.app_dir)
    assert response.result.status == SUCCESS, response.result.exception.message
    assert not response.use_default_metadata_indexing
    found = {f.name: f for f in response.function_metadata_results}
    for function in found.values():
        assert function.status.status == SUCCESS, function.status.exception.message
    return found


async def load_indexed(host: Any, found: dict[str, pb.RpcFunctionMetadata]) -> dict[str, str]:
    """Load each indexed function as the host does; each must load: {name: function_id}."""
    ids = {}
    for name, function in found.items():
        loaded = await host.channel.load(function.function_id, indexed_load_metadata(function))
        assert loaded.result.status == SUCCESS, loaded.result.exception.message
        ids[name] = function.function_id
    return ids


async def index_and_load(host: Any) -> dict[str, str]:
    """Index the app and load every function: {name: function_id}."""
    return await load_indexed(host, await index(host))
