"""Launch and handshake: both flag styles, StartStream, the init answer, the start-up banner."""

from __future__ import annotations

import asyncio
import os
import platform
import sys

import pytest

import quickfunc
from quickfunc.host.process import WorkerCommand
from tests.helpers import SUCCESS, SYSTEM, app_path
from tests.integration.fakehost import start_worker

APP = app_path("v1_lifecycle")

#: what the worker implements and so advertises (protocol §6.1); nothing else
EXPECTED_CAPABILITIES = {
    "RawHttpBodyBytes",
    "TypedDataCollection",
    "RpcHttpBodyOnly",
    "RpcHttpTriggerMetadataRemoved",
    "IncludeEmptyEntriesInMessagePayload",
    "WorkerStatus",
    "HandlesInvocationCancelMessage",
    "HandlesWorkerTerminateMessage",
    "HandlesWorkerWarmupMessage",
    "SupportsLoadResponseCollection",
    "EnableUserCodeException",
    "SharedMemoryDataTransfer",
}


class OneStyleCommand(WorkerCommand):
    """Pass only the legacy (`--host/--port/...`) or only the new (`--functions-*`) flags."""

    def __init__(self, style: str) -> None:
        super().__init__()
        self.style = style

    def build_argv(self, host, port, worker_id, request_id, max_len=2147483647):
        base = [self.executable, "-m", "quickfunc"]
        if self.style == "legacy":
            return base + [
                "--host",
                host,
                "--port",
                str(port),
                "--workerId",
                worker_id,
                "--requestId",
                request_id,
                "--grpcMaxMessageLength",
                str(max_len),
            ]
        return base + [
            "--functions-uri",
            f"http://{host}:{port}/",
            "--functions-worker-id",
            worker_id,
            "--functions-request-id",
            request_id,
            "--functions-grpc-max-message-length",
            str(max_len),
        ]


def test_handshake_answers_with_metadata_and_only_implemented_capabilities():
    async def go():
        async with start_worker(APP) as host:
            await host.channel.status(timeout=5)
            return host.init_response, host.channel.start_request_id, host.process.request_id, list(host.channel.logs)

    init, start_request_id, request_id, logs = asyncio.run(asyncio.wait_for(go(), 60))
    assert init.result.status == SUCCESS
    assert set(init.capabilities) == EXPECTED_CAPABILITIES
    assert all(value == "true" for value in init.capabilities.values())
    metadata = init.worker_metadata
    assert metadata.runtime_name == "python"
    assert metadata.runtime_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert metadata.worker_version == quickfunc.__version__
    assert metadata.worker_bitness == platform.machine()
    assert start_request_id == request_id  # StartStream carries the --requestId it was given
    banner = [log for log in logs if log.log_category == SYSTEM and "sys.path" in log.message]
    assert banner, [log.message for log in logs]
    text = banner[0].message
    assert sys.executable in text and sys.version.split()[0] in text and quickfunc.__version__ in text
    assert not banner[0].invocation_id


@pytest.mark.parametrize("style", ["legacy", "new"])
def test_either_flag_style_alone_is_enough_to_connect(style):
    async def go():
        async with start_worker(APP, command=OneStyleCommand(style)) as host:
            loaded = await host.load_v1_app()
            assert host.init_response is not None
            return host.init_response.result.status, {name: r.result.status for name, (_, r) in loaded.items()}

    status, loads = asyncio.run(asyncio.wait_for(go(), 60))
    assert status == SUCCESS
    assert loads and set(loads.values()) == {SUCCESS}


@pytest.mark.parametrize("launch", ["module", "deploy launcher"])
def test_an_app_with_its_own_worker_module_still_starts_this_worker(tmp_path, launch):
    """The app folder is the working directory: its `worker` must not be run in our place."""
    import shutil

    from tests.helpers import REPO_ROOT

    launcher = os.path.join(REPO_ROOT, "worker", "quickfunc", "deploy", "python", "worker.py")
    command = WorkerCommand() if launch == "module" else WorkerCommand(module=None, script=launcher)

    app = tmp_path / "app"
    shutil.copytree(APP, app)
    (app / "worker.py").write_text("raise SystemExit('the app module ran instead of the worker')\n")
    shutil.copytree(app / "Hello", app / "worker")  # a v1 function folder named `worker`

    async def go():
        async with start_worker(str(app), command=command) as host:
            loaded = await host.load_v1_app()
            function_id, load = loaded["worker"]
            from quickfunc.host.request_builders import http_request

            reply = await host.invoke(function_id, {"req": http_request("GET", "http://x/api/worker?name=w")})
            assert host.init_response is not None
            return host.init_response.result.status, load.result.status, reply.result.status

    assert asyncio.run(asyncio.wait_for(go(), 60)) == (SUCCESS, SUCCESS, SUCCESS)
