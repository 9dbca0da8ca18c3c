"""print() inside an invocation: with the host capability QuickfuncInvocationOutput the worker
sends it as User RpcLogs with the invocation's id (categories stdout / stderr); without it, as
with the Functions host, it goes to the process output untouched."""

from __future__ import annotations

import asyncio
import time

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import SUCCESS, USER, app_path, index_and_load, run
from tests.integration.fakehost import FakeHost, start_worker

APP = app_path("host_console")
ASK = {"MultiStream": "10", "QuickfuncInvocationOutput": "true"}


async def _call(host: FakeHost, ids: dict[str, str], name: str, tag: str) -> pb.InvocationResponse:
    request = http_request("GET", f"http://localhost/api/{name}?tag={tag}", params={"tag": tag})
    response = await host.invoke(ids[name], {"req": request}, invocation_id=f"{tag}-0000-0000-0000-000000000000")
    assert response.result.status == SUCCESS, response.result.exception.message
    return response


async def _output_line(host: FakeHost, text: str, timeout: float = 10.0) -> bool:
    """Wait (bounded) until the worker process printed a line containing ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in line.text for line in host.output):
            return True
        await asyncio.sleep(0.05)
    return False


def test_with_the_capability_print_becomes_rpc_logs_of_the_invocation():
    async def go():
        async with start_worker(APP, capabilities=ASK) as host:
            ids = await index_and_load(host)
            await _call(host, ids, "sync_print", "aaaa1111")
            await _call(host, ids, "async_print", "bbbb2222")
            for tag, expected in (
                (
                    "aaaa1111",
                    [
                        ("stdout", "sync says aaaa1111"),
                        ("stdout", "in pieces aaaa1111"),
                        ("stderr", "sync to stderr aaaa1111"),
                        ("stdout", "from a thread aaaa1111"),
                        ("stdout", "without a newline aaaa1111"),
                    ],
                ),
                ("bbbb2222", [("stdout", "async says bbbb2222"), ("stdout", "async after await bbbb2222")]),
            ):
                logs = host.channel.logs_for(f"{tag}-0000-0000-0000-000000000000")
                printed = [(log.category, log.message) for log in logs if log.category in ("stdout", "stderr")]
                assert printed == expected
                assert all(log.log_category == USER for log in logs if log.category in ("stdout", "stderr"))
            # print() outside an invocation still goes to the process
            assert await _output_line(host, "console app: printed while importing")
            assert not [line for line in host.output if "sync says" in line.text]

    run(go())


def test_without_the_capability_print_goes_to_the_process_as_with_the_official_worker():
    async def go():
        async with start_worker(APP) as host:
            ids = await index_and_load(host)
            await _call(host, ids, "sync_print", "cccc3333")
            assert await _output_line(host, "sync says cccc3333")
            assert await _output_line(host, "sync to stderr cccc3333")
            assert not [log for log in host.channel.logs if log.category in ("stdout", "stderr")]

    run(go())
