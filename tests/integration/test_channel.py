"""Host-side channel against the floor worker process and against scripted in-test streams."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import grpc
import pytest

from quickfunc.host.function_json import FunctionJsonError
from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import EVENT_STREAM_METHOD, pb
from tests.helpers import SUCCESS, run, write_v1_function
from tests.integration.fakehost import FLOOR_WORKER, start_worker


@pytest.fixture
def app(tmp_path):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    write_v1_function(app_dir, "HttpA")
    write_v1_function(app_dir, "HttpB")
    return app_dir


def floor(app_dir, **kw):
    return start_worker(str(app_dir), argv_module=FLOOR_WORKER, **kw)


# ---- the floor worker as a real process ---------------------------------------------------


def test_floor_handshake_sends_start_stream_and_answers_init(app):
    async def go():
        async with floor(app, init=False) as host:
            assert host.channel.worker_id == host.process.worker_id
            assert host.channel.start_request_id == host.process.request_id
            resp = await host.channel.init(str(app), timeout=10)
            assert resp.result.status == SUCCESS
            assert host.channel.worker_capabilities["WorkerStatus"] == "true"
            assert host.channel.worker_capabilities["RawHttpBodyBytes"] == "true"

    run(go())


def test_floor_metadata_asks_host_to_index_function_json(app):
    async def go():
        async with floor(app) as host:
            assert host.init_response.result.status == SUCCESS
            resp = await host.channel.functions_metadata(str(app), timeout=10)
            assert resp.result.status == SUCCESS
            assert resp.use_default_metadata_indexing
            assert len(resp.function_metadata_results) == 0

    run(go())


def test_load_v1_app_loads_every_function_folder(app):
    async def go():
        async with floor(app) as host:
            loaded = await host.load_v1_app()
            assert sorted(loaded) == ["HttpA", "HttpB"]
            for function_id, resp in loaded.values():
                assert resp.function_id == function_id
                assert resp.result.status == SUCCESS
            assert host.channel.unexpected == []

    run(go())


def test_200_concurrent_invocations_each_get_their_own_response(app):
    async def go():
        async with floor(app) as host:
            function_id = (await host.load_v1_app())["HttpA"][0]
            ids = [str(uuid.uuid4()) for _ in range(200)]
            requests = [
                host.invoke(
                    function_id,
                    {
                        "req": http_request(
                            "POST",
                            f"http://localhost/api/HttpA?n={i}",
                            {"Content-Type": "text/plain"},
                            body=iid.encode(),
                        )
                    },
                    invocation_id=iid,
                    timeout=20,
                )
                for i, iid in enumerate(ids)
            ]
            responses = await asyncio.gather(*requests)
            for iid, resp in zip(ids, responses, strict=True):
                assert resp.invocation_id == iid
                assert resp.result.status == SUCCESS
                assert resp.return_value.http.status_code == "200"
                assert resp.return_value.http.body.bytes == iid.encode()
            assert host.channel.unexpected == []
            assert host.channel._invocations == {}

    run(go())


def test_status_round_trip_echoes_a_fresh_request_id(app):
    async def go():
        async with floor(app) as host:
            times = [await host.channel.status(timeout=5) for _ in range(5)]
            assert all(0 < t < 5 for t in times)
            assert host.channel.unexpected == []

    run(go())


def test_host_close_ends_floor_with_exit_0_and_fails_pending_requests(app):
    async def go():
        async with floor(app) as host:
            # the floor never answers warmup: a request that stays pending
            pending = asyncio.ensure_future(host.channel.warmup(timeout=30))
            await asyncio.sleep(0.2)
            assert await host.channel.close(timeout=10)
            with pytest.raises(WorkerGone) as err:
                await pending
            assert host.channel.worker_id in str(err.value)
            assert "1 request(s) were pending" in str(err.value)
            assert await host.process.wait(10) == 0
            with pytest.raises(WorkerGone):
                await host.invoke("any-function", {})

    run(go())


def test_killed_worker_fails_pending_requests_instead_of_hanging(app):
    async def go():
        async with floor(app) as host:
            pending = [asyncio.ensure_future(host.channel.warmup(timeout=30)) for _ in range(3)]
            await asyncio.sleep(0.2)
            await host.process.kill()
            await host.process.wait(10)
            results = await asyncio.gather(*pending, return_exceptions=True)
            assert all(isinstance(r, WorkerGone) for r in results)
            assert "3 request(s) were pending" in str(results[0])
            assert host.channel.closed.is_set()

    run(go())


def test_worker_exiting_before_connecting_is_reported_with_its_output(tmp_path):
    script = tmp_path / "broken_worker.py"
    script.write_text("import sys\nprint('LanguageWorkerConsoleLog ERROR: no luck', file=sys.stderr)\nsys.exit(3)\n")

    async def go():
        with pytest.raises(RuntimeError) as err:
            async with start_worker(str(tmp_path), argv_module=str(script)):
                pass
        assert "code 3" in str(err.value) and "no luck" in str(err.value)

    run(go())


def test_worker_process_gets_host_argv_and_environment(tmp_path):
    script = tmp_path / "env_worker.py"
    script.write_text(
        "import os, sys\n"
        "for k in ('FUNCTIONS_WORKER_RUNTIME', 'PYTHON_THREADPOOL_THREAD_COUNT', "
        "'AzureWebJobsScriptRoot', 'FUNCTIONS_APPLICATION_DIRECTORY', 'MY_SETTING'):\n"
        "    print(k + '=' + os.environ.get(k, '?'))\n"
        "print('cwd=' + os.getcwd())\n"
        "print('argv=' + ' '.join(sys.argv[1:]))\n"
    )

    async def go():
        from quickfunc.host.process import OutputLine, WorkerCommand, WorkerProcess

        seen: list[OutputLine] = []
        proc = WorkerProcess(WorkerCommand(module=None, script=str(script)), on_output=seen.append)
        await proc.start("127.0.0.1", 5555, str(tmp_path), {"MY_SETTING": "x"})
        assert await proc.wait(20) == 0
        out = {line.text.split("=", 1)[0]: line.text.split("=", 1)[1] for line in seen}
        assert out["FUNCTIONS_WORKER_RUNTIME"] == "python"
        assert out["PYTHON_THREADPOOL_THREAD_COUNT"] == "1000"
        assert out["AzureWebJobsScriptRoot"] == str(tmp_path)
        assert out["MY_SETTING"] == "x"
        assert os.path.samefile(out["cwd"], tmp_path)
        assert f"--functions-uri http://127.0.0.1:5555/ --functions-worker-id {proc.worker_id}" in out["argv"]

    run(go())


def test_malformed_function_json_names_the_file_and_key(app):
    write_v1_function(app, "Broken", config={"bindings": [{"type": "queueTrigger", "name": "msg"}]})

    async def go():
        async with floor(app) as host:
            with pytest.raises(FunctionJsonError) as err:
                await host.load_v1_app()
            assert os.path.join("Broken", "function.json") in str(err.value)
            assert "bindings[0].direction" in str(err.value)

    run(go())


# ---- scripted in-test workers (protocol corner cases) ------------------------------------


@contextlib.asynccontextmanager
async def scripted(first: pb.StreamingMessage | None = None, worker_id: str = "w-1", expect: bool = True):
    """A server plus a raw client stream that sends ``first`` (default StartStream)."""
    server = RpcServer(keep_logs=True)
    port = await server.start()
    if expect:
        server.expect(worker_id)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        call = ch.stream_stream(
            EVENT_STREAM_METHOD,
            request_serializer=pb.StreamingMessage.SerializeToString,
            response_deserializer=pb.StreamingMessage.FromString,
        )()
        await call.write(
            first or pb.StreamingMessage(request_id="r-1", start_stream=pb.StartStream(worker_id=worker_id))
        )
        try:
            yield server, call
        finally:
            call.cancel()
            await server.stop(0)


async def connected(server: RpcServer, worker_id: str = "w-1") -> WorkerChannel:
    return await server.wait_for_worker(worker_id, timeout=5)


def test_stream_not_starting_with_start_stream_is_rejected():
    async def go():
        bad = pb.StreamingMessage(worker_init_response=pb.WorkerInitResponse())
        async with scripted(first=bad) as (server, call):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await asyncio.wait_for(call.read(), 5)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "start_stream" in server.rejected[0][1]
            assert server.channels == {}

    run(go())


def test_unknown_worker_id_is_rejected():
    async def go():
        async with scripted(worker_id="stranger", expect=False) as (server, call):
            with pytest.raises(grpc.aio.AioRpcError):
                await asyncio.wait_for(call.read(), 5)
            assert server.rejected == [("stranger", "unknown worker id")]

    run(go())


def test_wait_for_worker_timeout_names_the_worker():
    async def go():
        server = RpcServer()
        await server.start()
        try:
            with pytest.raises(asyncio.TimeoutError) as err:
                await server.wait_for_worker("never-comes", timeout=0.2)
            assert "never-comes" in str(err.value) and "StartStream" in str(err.value)
        finally:
            await server.stop(0)

    run(go())


def test_invoke_timeout_names_the_invocation_and_late_answer_is_unexpected():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            request = build_invocation("f-1", {}, invocation_id="inv-late")
            with pytest.raises(asyncio.TimeoutError) as err:
                await channel.invoke(request, timeout=0.2)
            assert "inv-late" in str(err.value) and "invocation_response" in str(err.value)
            received = await asyncio.wait_for(call.read(), 5)
            assert received.invocation_request.invocation_id == "inv-late"
            await call.write(pb.StreamingMessage(invocation_response=pb.InvocationResponse(invocation_id="inv-late")))
            for _ in range(50):
                if channel.unexpected:
                    break
                await asyncio.sleep(0.02)
            assert channel.unexpected[0].invocation_response.invocation_id == "inv-late"
            assert channel._invocations == {}

    run(go())


def test_logs_are_kept_per_channel_and_per_invocation():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            seen: list[pb.RpcLog] = []
            channel.on_log = seen.append
            task = asyncio.ensure_future(channel.invoke(build_invocation("f", {}, None, "i-1"), 5))
            await asyncio.wait_for(call.read(), 5)
            for text, iid in (("hello", "i-1"), ("system", "")):
                await call.write(
                    pb.StreamingMessage(rpc_log=pb.RpcLog(invocation_id=iid, message=text, level=pb.RpcLog.Information))
                )
            await call.write(
                pb.StreamingMessage(
                    invocation_response=pb.InvocationResponse(
                        invocation_id="i-1", result=pb.StatusResult(status=SUCCESS)
                    )
                )
            )
            resp = await task
            assert resp.result.status == SUCCESS
            assert [log.message for log in channel.logs_for("i-1")] == ["hello"]
            assert [log.message for log in channel.logs] == ["hello", "system"]
            assert [log.message for log in seen] == ["hello", "system"]
            await call.write(pb.StreamingMessage(worker_action_response=pb.WorkerActionResponse()))
            for _ in range(50):
                if channel.unexpected:
                    break
                await asyncio.sleep(0.02)
            assert channel.unexpected[0].HasField("worker_action_response")

    run(go())


def test_load_collection_resolves_each_function():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            requests = [pb.FunctionLoadRequest(function_id=f"f{i}") for i in range(3)]
            task = asyncio.ensure_future(channel.load_collection(requests, timeout=5))
            sent = await asyncio.wait_for(call.read(), 5)
            ids = [r.function_id for r in sent.function_load_request_collection.function_load_requests]
            assert ids == ["f0", "f1", "f2"]
            answers = [
                pb.FunctionLoadResponse(function_id=i, result=pb.StatusResult(status=SUCCESS)) for i in reversed(ids)
            ]
            await call.write(
                pb.StreamingMessage(
                    function_load_response_collection=(
                        pb.FunctionLoadResponseCollection(function_load_responses=answers)
                    )
                )
            )
            responses = await task
            assert [r.function_id for r in responses] == ids

    run(go())


def test_worker_half_close_fails_pending_and_ends_host_stream():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            pending = asyncio.ensure_future(channel.status(timeout=10))
            await asyncio.wait_for(call.read(), 5)
            await call.done_writing()
            with pytest.raises(WorkerGone) as err:
                await pending
            assert "ended its stream" in str(err.value)
            assert await asyncio.wait_for(call.read(), 5) == grpc.aio.EOF

    run(go())


def test_terminate_and_cancel_are_sent_as_is():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            await channel.cancel("inv-9")
            await channel.terminate(2.5)
            cancel = await asyncio.wait_for(call.read(), 5)
            terminate = await asyncio.wait_for(call.read(), 5)
            assert cancel.invocation_cancel.invocation_id == "inv-9"
            grace = terminate.worker_terminate.grace_period
            assert (grace.seconds, grace.nanos) == (2, 500_000_000)

    run(go())


def test_init_sends_host_defaults_and_fifo_answers_match_in_order():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            first = asyncio.ensure_future(channel.init("/app", timeout=5))
            second = asyncio.ensure_future(channel.init("/app2", timeout=5))
            sent = [await asyncio.wait_for(call.read(), 5) for _ in range(2)]
            req = sent[0].worker_init_request
            assert dict(req.capabilities) == {"MultiStream": "10"}
            assert req.host_version and req.function_app_directory == "/app"
            for version in ("one", "two"):
                await call.write(
                    pb.StreamingMessage(
                        worker_init_response=pb.WorkerInitResponse(
                            worker_metadata=pb.WorkerMetadata(worker_version=version),
                            result=pb.StatusResult(status=SUCCESS),
                        )
                    )
                )
            assert (await first).worker_metadata.worker_version == "one"
            assert (await second).worker_metadata.worker_version == "two"

    run(go())


def test_stopping_the_server_resets_an_open_stream_so_the_worker_hears_at_once():
    """A stream still open when the host stops is reset, not left hanging until the process ends."""

    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            await asyncio.wait_for(server.stop(0), 10)
            with pytest.raises(grpc.aio.AioRpcError):
                received = await asyncio.wait_for(call.read(), 5)
                assert received is not grpc.aio.EOF  # a clean end would hide the stop as well
            assert channel.closed.is_set()

    run(go())


def test_a_stream_the_worker_abandons_fails_pending_requests_and_names_why():
    async def go():
        async with scripted() as (server, call):
            channel = await connected(server)
            pending = asyncio.ensure_future(channel.invoke(build_invocation("f-1", {}, invocation_id="inv-1"), 10))
            assert (await asyncio.wait_for(call.read(), 5)).invocation_request.invocation_id == "inv-1"
            call.cancel()
            with pytest.raises(WorkerGone):
                await asyncio.wait_for(pending, 5)
            assert channel.close_reason

    run(go())
