"""Worker indexing: the metadata answer, v1 fallback, ids shared by worker processes, one import,
init indexing (PYTHON_ENABLE_INIT_INDEXING) at init and at environment reload."""

from __future__ import annotations

import asyncio
import json
import os

from quickfunc.host.request_builders import http_request, indexed_load_metadata
from quickfunc.protos import pb
from tests.helpers import ERROR, FAILURE, IN, OUT, SUCCESS, app_path, indexed_id, run, write_app
from tests.integration.fakehost import FakeHost, start_worker

COUNTED = app_path("v2_counted")


def imports(log_path) -> list[str]:
    return log_path.read_text().split() if log_path.exists() else []


async def ping(host: FakeHost, fid: str = indexed_id("ping")) -> str:
    response = await host.invoke(fid, {"req": http_request("GET", "http://localhost/api/ping")})
    assert response.result.status == SUCCESS, response.result.exception.message
    return response.return_value.http.body.bytes.decode()


# ---- the metadata answer ------------------------------------------------------------------------


def test_metadata_fields_follow_the_protocol():
    async def go():
        async with start_worker(COUNTED) as host:
            response = await host.channel.functions_metadata(COUNTED)
            assert response.result.status == SUCCESS
            assert not response.use_default_metadata_indexing
            return {f.name: f for f in response.function_metadata_results}

    found = run(go())
    assert list(found) == ["ping", "tick"]
    ping_md = found["ping"]
    assert ping_md.function_id == indexed_id("ping")
    assert (ping_md.directory, ping_md.script_file, ping_md.entry_point, ping_md.language) == (
        COUNTED,
        "function_app.py",
        "ping",
        "python",
    )
    assert not ping_md.is_proxy and not ping_md.managed_dependency_enabled
    assert ping_md.status.status == SUCCESS
    assert dict(ping_md.properties) == {"worker_indexed": "True"}
    assert [json.loads(b) for b in ping_md.raw_bindings] == [
        {
            "direction": "IN",
            "type": "httpTrigger",
            "name": "req",
            "methods": ["GET"],
            "authLevel": "ANONYMOUS",
            "route": "ping",
        },
        {"direction": "OUT", "type": "http", "name": "$return"},
    ]
    assert {n: (b.type, b.direction) for n, b in ping_md.bindings.items()} == {
        "req": ("httpTrigger", IN),
        "$return": ("http", OUT),
    }
    assert not ping_md.HasField("retry_options")
    assert [json.loads(b) for b in found["tick"].raw_bindings] == [
        {"direction": "IN", "type": "timerTrigger", "name": "t", "schedule": "0 * * * * *"}
    ]


def test_app_without_function_app_py_asks_the_host_to_read_function_json(tmp_path):
    app = write_app(
        tmp_path,
        {
            "HttpFunc/function.json": '{"bindings": [{"type": "httpTrigger", "direction": "in", "name": "req"}]}',
            "HttpFunc/__init__.py": "def main(req):\n    return 'v1'\n",
        },
    )

    async def go():
        async with start_worker(app) as host:
            response = await host.channel.functions_metadata(app)
            assert response.result.status == SUCCESS
            assert response.use_default_metadata_indexing
            assert not response.function_metadata_results
            # and the v1 app then loads from function.json as usual
            loads = await host.load_v1_app()
            assert loads["HttpFunc"][1].result.status == SUCCESS

    run(go())


def test_function_app_without_functions_asks_for_default_indexing(tmp_path):
    app = write_app(tmp_path, {"function_app.py": "import azure.functions as func\napp = func.FunctionApp()\n"})

    async def go():
        async with start_worker(app) as host:
            response = await host.channel.functions_metadata(app)
            assert response.result.status == SUCCESS
            assert response.use_default_metadata_indexing
            assert not response.function_metadata_results

    run(go())


def test_script_file_name_setting_chooses_the_script(tmp_path):
    app = write_app(
        tmp_path,
        {
            "main_app.py": """\
        import azure.functions as func
        app = func.FunctionApp()

        @app.route(route="ping")
        def ping(req: func.HttpRequest) -> str:
            return "from main_app"
        """
        },
    )

    async def go():
        async with start_worker(app, env={"PYTHON_SCRIPT_FILE_NAME": "main_app.py"}) as host:
            response = await host.channel.functions_metadata(app)
            (function,) = response.function_metadata_results
            # the library's constant, as the official worker reports it
            assert function.script_file == "function_app.py"
            assert (await host.channel.load(function.function_id, function)).result.status == SUCCESS
            reply = await host.invoke(function.function_id, {"req": http_request("GET", "http://h/api/ping")})
            assert reply.return_value.string == "from main_app"
        async with start_worker(app) as host:  # default name: no function_app.py here
            assert (await host.channel.functions_metadata(app)).use_default_metadata_indexing

    run(go())


def test_app_of_non_http_functions_indexes_and_runs(tmp_path):
    # the library warns "Auth level is not applied to non http function app" for such apps
    app = write_app(
        tmp_path,
        {
            "function_app.py": """\
        import azure.functions as func
        app = func.FunctionApp()

        @app.timer_trigger(arg_name="t", schedule="0 0 * * * *")
        def tick(t: func.TimerRequest) -> None:
            pass
        """
        },
    )

    async def go():
        async with start_worker(app) as host:
            response = await host.channel.functions_metadata(app)
            assert response.result.status == SUCCESS
            (function,) = response.function_metadata_results
            assert function.status.status == SUCCESS
            assert (await host.channel.load(function.function_id, function)).result.status == SUCCESS
            timer = pb.TypedData(json='{"IsPastDue": false}')
            assert (await host.invoke(function.function_id, {"t": timer})).result.status == SUCCESS
            assert not [log.message for log in host.channel.logs if log.level >= ERROR]

    run(go())


# ---- loading: one import per process, ids shared by processes -----------------------------------


def test_loads_after_the_metadata_request_do_not_import_again(tmp_path):
    log = tmp_path / "imports.log"

    async def go():
        async with start_worker(COUNTED, env={"V2_IMPORT_LOG": str(log)}) as host:
            assert imports(log) == []  # nothing imported before the metadata request
            response = await host.channel.functions_metadata(COUNTED)
            for function in response.function_metadata_results:
                loaded = await host.channel.load(function.function_id, indexed_load_metadata(function))
                assert loaded.result.status == SUCCESS
            # a repeated load request is answered without doing anything
            again = await host.channel.load(
                indexed_id("ping"), indexed_load_metadata(response.function_metadata_results[0])
            )
            assert again.result.status == SUCCESS
            assert (await ping(host)) == f"pong from {host.process.pid}"
            assert imports(log) == [str(host.process.pid)]

    run(go())


def test_function_ids_are_the_same_in_every_worker_process():
    async def index_ids() -> list[str]:
        async with start_worker(COUNTED) as host:
            response = await host.channel.functions_metadata(COUNTED)
            return [f.function_id for f in response.function_metadata_results]

    async def go():
        return await asyncio.gather(index_ids(), index_ids())

    first, second = run(go())
    assert first == second == [indexed_id("ping"), indexed_id("tick")]


def test_second_worker_indexes_on_a_worker_indexed_load_request(tmp_path):
    log = tmp_path / "imports.log"
    env = {"V2_IMPORT_LOG": str(log)}

    async def go():
        async with start_worker(COUNTED, env=env) as first, start_worker(COUNTED, env=env) as second:
            # only the first process gets the metadata request (FUNCTIONS_WORKER_PROCESS_COUNT > 1)
            response = await first.channel.functions_metadata(COUNTED)
            for function in response.function_metadata_results:
                for host in (first, second):
                    loaded = await host.channel.load(function.function_id, indexed_load_metadata(function))
                    assert loaded.result.status == SUCCESS, loaded.result.exception.message
            assert await ping(first) == f"pong from {first.process.pid}"
            assert await ping(second) == f"pong from {second.process.pid}"
            assert sorted(imports(log)) == sorted([str(first.process.pid), str(second.process.pid)])

    run(go())


def test_load_collection_on_a_worker_that_never_indexed():
    async def go():
        async with start_worker(COUNTED) as indexer, start_worker(COUNTED) as other:
            response = await indexer.channel.functions_metadata(COUNTED)
            requests = [
                pb.FunctionLoadRequest(function_id=f.function_id, metadata=indexed_load_metadata(f))
                for f in response.function_metadata_results
            ]
            answers = await other.channel.load_collection(requests)
            assert [a.function_id for a in answers] == [indexed_id("ping"), indexed_id("tick")]
            assert all(a.result.status == SUCCESS for a in answers)
            assert (await ping(other)).startswith("pong")

    run(go())


def test_worker_indexed_load_of_an_unknown_function_lists_the_app_functions():
    async def go():
        async with start_worker(COUNTED) as host:
            metadata = pb.RpcFunctionMetadata(
                name="gone", directory=COUNTED, script_file="function_app.py", properties={"worker_indexed": "True"}
            )
            loaded = await host.channel.load(indexed_id("gone"), metadata)
            assert loaded.result.status == FAILURE
            message = loaded.result.exception.message
            assert "gone" in message and "ping" in message and "tick" in message

    run(go())


# ---- init indexing ------------------------------------------------------------------------------


def test_init_indexing_imports_at_init_and_answers_metadata_from_the_cache(tmp_path):
    log = tmp_path / "imports.log"
    env = {"V2_IMPORT_LOG": str(log), "PYTHON_ENABLE_INIT_INDEXING": "true"}

    async def go():
        async with start_worker(COUNTED, env=env) as host:
            assert host.init_response is not None
            assert host.init_response.result.status == SUCCESS
            assert imports(log) == [str(host.process.pid)]  # imported during WorkerInitRequest
            response = await host.channel.functions_metadata(COUNTED)
            assert response.result.status == SUCCESS
            assert [f.name for f in response.function_metadata_results] == ["ping", "tick"]
            for function in response.function_metadata_results:
                assert (await host.channel.load(function.function_id, function)).result.status == SUCCESS
            assert (await ping(host)).startswith("pong")
            assert imports(log) == [str(host.process.pid)]

    run(go())


def test_init_indexing_failure_is_reported_at_the_metadata_request(tmp_path):
    app = write_app(tmp_path, {"function_app.py": "import azure.functions as func\nimport nowhere_to_be_found\n"})

    async def go():
        async with start_worker(app, env={"PYTHON_ENABLE_INIT_INDEXING": "1"}) as host:
            assert host.init_response is not None
            assert host.init_response.result.status == SUCCESS
            response = await host.channel.functions_metadata(app)
            assert response.result.status == FAILURE
            assert "No module named 'nowhere_to_be_found'" in response.result.exception.message
            assert "function_app.py:2" in response.result.exception.message

    run(go())


def test_environment_reload_indexes_the_new_app_with_init_indexing(tmp_path):
    placeholder = tmp_path / "placeholder"
    placeholder.mkdir()
    log = tmp_path / "imports.log"

    async def go():
        async with start_worker(str(placeholder)) as host:
            env = {"PATH": os.environ.get("PATH", ""), "V2_IMPORT_LOG": str(log), "PYTHON_ENABLE_INIT_INDEXING": "1"}
            reloaded = await host.channel.reload_environment(env, COUNTED)
            assert reloaded.result.status == SUCCESS, reloaded.result.exception.message
            assert imports(log) == [str(host.process.pid)]  # indexed during the reload
            response = await host.channel.functions_metadata(COUNTED)
            assert response.result.status == SUCCESS
            for function in response.function_metadata_results:
                assert (await host.channel.load(function.function_id, function)).result.status == SUCCESS
            assert (await ping(host)).startswith("pong")
            assert imports(log) == [str(host.process.pid)]

    run(go())


def test_reload_to_another_app_imports_its_own_function_app(tmp_path):
    placeholder = write_app(
        tmp_path,
        {
            "function_app.py": """\
        import azure.functions as func
        app = func.FunctionApp()

        @app.route(route="placeholder")
        def placeholder(req: func.HttpRequest) -> str:
            return "placeholder"
        """
        },
    )

    async def go():
        async with start_worker(placeholder, env={"PYTHON_ENABLE_INIT_INDEXING": "1"}) as host:
            env = {"PATH": os.environ.get("PATH", ""), "PYTHON_ENABLE_INIT_INDEXING": "1"}
            reloaded = await host.channel.reload_environment(env, COUNTED)
            assert reloaded.result.status == SUCCESS, reloaded.result.exception.message
            response = await host.channel.functions_metadata(COUNTED)
            assert [f.name for f in response.function_metadata_results] == ["ping", "tick"]
            assert {f.directory for f in response.function_metadata_results} == {COUNTED}
            for function in response.function_metadata_results:
                assert (await host.channel.load(function.function_id, function)).result.status == SUCCESS
            assert (await ping(host)).startswith("pong")

    run(go())


def test_worker_indexed_load_when_the_script_is_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    async def go():
        async with start_worker(str(empty)) as host:
            metadata = pb.RpcFunctionMetadata(
                name="ping", directory=str(empty), script_file="function_app.py", properties={"worker_indexed": "True"}
            )
            loaded = await host.channel.load(indexed_id("ping"), metadata)
            assert loaded.result.status == FAILURE
            assert "function_app.py" in loaded.result.exception.message
            assert "does not exist" in loaded.result.exception.message

    run(go())


def test_blueprint_that_is_never_registered_is_a_warning(tmp_path):
    app = write_app(
        tmp_path,
        {
            "function_app.py": """\
        import azure.functions as func
        app = func.FunctionApp()
        bp = func.Blueprint()

        @app.route(route="kept")
        def kept(req: func.HttpRequest) -> str:
            return "kept"

        @bp.route(route="forgotten")
        def forgotten(req: func.HttpRequest) -> str:
            return "forgotten"
        """
        },
    )

    async def go():
        async with start_worker(app) as host:
            response = await host.channel.functions_metadata(app)
            assert [f.name for f in response.function_metadata_results] == ["kept"]
            warnings = [
                log.message
                for log in host.channel.logs
                if log.level == pb.RpcLog.Level.Value("Warning") and "Blueprint" in log.message
            ]
            assert warnings == [
                "function_app.py: Blueprint 'bp' has 1 function(s) (forgotten) that are not "
                "part of the app; attach it with app.register_functions(bp)"
            ]

    run(go())
