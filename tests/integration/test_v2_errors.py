"""Bad v2 apps: per-function faults are reported by name while the rest runs; a script that cannot be
imported or has no single app is one clear Failure."""

from __future__ import annotations

import sys

import pytest

from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from tests.helpers import ERROR, FAILURE, SUCCESS, SYSTEM, app_path, run, write_v2_app
from tests.integration.fakehost import FakeHost, start_worker

BAD_APP = app_path("v2_bad_functions")


def system_errors(host: FakeHost) -> list[str]:
    return [log.message for log in host.channel.logs if log.level == ERROR and log.log_category == SYSTEM]


async def metadata_of_bad_app() -> tuple[pb.FunctionMetadataResponse, list[str], dict[str, str]]:
    """Index the bad app, load every function, run the healthy ones; (response, errors, bodies)."""
    async with start_worker(BAD_APP) as host:
        response = await host.channel.functions_metadata(host.app_dir)
        errors = system_errors(host)
        bodies = {}
        for function in response.function_metadata_results:
            loaded = await host.channel.load(function.function_id, function)
            assert (loaded.result.status == SUCCESS) == (function.status.status == SUCCESS), function.name
            if function.status.status != SUCCESS:
                # the load answer carries the same message as the metadata entry
                assert loaded.result.exception.message == function.status.exception.message
                continue
            invoked = await host.invoke(
                function.function_id, {"req": http_request("GET", f"http://localhost/api/{function.name}")}
            )
            assert invoked.result.status == SUCCESS, invoked.result.exception.message
            bodies[function.name] = invoked.return_value.http.body.bytes.decode()
        return response, errors, bodies


@pytest.fixture(scope="module")
def bad_app():
    return run(metadata_of_bad_app())


def fault(bad_app, name: str) -> str:
    response, _, _ = bad_app
    (function,) = [f for f in response.function_metadata_results if f.name == name]
    assert function.status.status == FAILURE, f"{name} should have failed indexing"
    return function.status.exception.message


# ---- per-function faults ------------------------------------------------------------------------


def test_bad_functions_do_not_stop_the_good_ones(bad_app):
    response, _, bodies = bad_app
    assert response.result.status == SUCCESS
    assert not response.use_default_metadata_indexing
    assert bodies == {
        "good": "still works",
        "split_get": "get",
        "split_post": "post",
        "typed_int": "int",
        "typed_any": "any",
    }


def test_each_fault_is_a_system_error_log_too(bad_app):
    response, errors, _ = bad_app
    failed = [f for f in response.function_metadata_results if f.status.status == FAILURE]
    assert len(failed) == 17
    for function in failed:
        assert [e for e in errors if e == function.status.exception.message], function.name


def test_parameter_without_binding_names_function_and_parameter(bad_app):
    message = fault(bad_app, "renamed_param")
    assert "renamed_param" in message and "function_app.py:12" in message
    assert "request" in message and "req" in message


def test_extra_parameter_is_named(bad_app):
    message = fault(bad_app, "extra_param")
    assert "extra_param" in message and "count" in message


def test_wrong_trigger_annotation_names_parameter_and_expected_type(bad_app):
    message = fault(bad_app, "wrong_annotation")
    assert "'req'" in message and "QueueMessage" in message and "HttpRequest" in message


def test_output_binding_without_out_annotation(bad_app):
    message = fault(bad_app, "out_without_out")
    assert "'out'" in message and "Out[" in message


def test_return_annotation_that_http_cannot_send(bad_app):
    message = fault(bad_app, "bad_return")
    assert "bad_return" in message and "int" in message and "http" in message


def test_context_parameter_of_the_wrong_type(bad_app):
    assert "context parameter" in fault(bad_app, "bad_context")


def test_unresolvable_annotation(bad_app):
    message = fault(bad_app, "unresolvable")
    assert "NoSuchType" in message


def test_function_without_trigger(bad_app):
    message = fault(bad_app, "no_trigger")
    assert "no_trigger" in message and "trigger" in message and "function_app.py:" in message


def test_duplicate_function_names_name_both_functions(bad_app):
    response, _, _ = bad_app
    twins = [f for f in response.function_metadata_results if f.name == "twin"]
    assert len(twins) == 1  # one entry per name and id
    message = fault(bad_app, "twin")
    assert "twin_one()" in message and "twin_two()" in message
    assert "function_app.py:53" in message and "function_app.py:59" in message


def test_duplicate_routes_name_both_functions(bad_app):
    for name in ("shared_a", "shared_b"):
        message = fault(bad_app, name)
        assert "shared_a" in message and "shared_b" in message
        assert "shared/{id}" in message and "/Shared/{key}/" in message


def test_retry_settings_the_host_cannot_use(bad_app):
    message = fault(bad_app, "bad_retry_interval")
    assert "delay_interval='10s'" in message and "00:00:10" in message
    assert "'linear'" in fault(bad_app, "bad_retry_strategy")
    assert "max_retry_count='many'" in fault(bad_app, "bad_retry_count")


def test_function_names_the_host_would_reject(bad_app):
    for name in ("_private", "host"):
        message = fault(bad_app, name)
        assert "start with a letter" in message and "@app.function_name" in message


def test_two_bindings_with_one_name(bad_app):
    message = fault(bad_app, "same_binding_name")
    assert "'msg'" in message and "queueTrigger" in message and "queue" in message


# ---- whole-script faults ------------------------------------------------------------------------


async def failed_metadata(app_dir: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    async with start_worker(app_dir, env=env) as host:
        response = await host.channel.functions_metadata(app_dir)
        assert response.result.status == FAILURE
        assert not response.function_metadata_results
        assert not response.use_default_metadata_indexing
        return response.result.exception.message, system_errors(host)


def test_syntax_error_gives_file_and_line(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import azure.functions as func
        app = func.FunctionApp()
        def broken(:
            pass
        """,
    )
    message, errors = run(failed_metadata(app))
    assert "SyntaxError" in message and "function_app.py:3" in message
    assert any("function_app.py:3" in e for e in errors)


def test_missing_module_is_named_with_the_importing_line(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import azure.functions as func
        import helpers
        app = func.FunctionApp()
        """,
        {"helpers.py": "import not_installed_package_xyz\n"},
    )
    message, _ = run(failed_metadata(app))
    assert "No module named 'not_installed_package_xyz'" in message
    assert "helpers.py:1" in message
    assert "requirements.txt" in message


def test_exception_at_import_gives_type_file_and_line(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import os
        import azure.functions as func
        app = func.FunctionApp()
        SETTING = os.environ["SETTING_THAT_IS_NOT_SET"]
        """,
    )
    message, _ = run(failed_metadata(app))
    assert "KeyError" in message and "function_app.py:4" in message
    assert "SETTING_THAT_IS_NOT_SET" in message


def test_two_triggers_on_one_function_fail_at_the_decorator_line(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import azure.functions as func
        app = func.FunctionApp()

        @app.route(route="a")
        @app.queue_trigger(arg_name="msg", queue_name="q", connection="c")
        def two(req, msg):
            pass
        """,
    )
    message, _ = run(failed_metadata(app))
    # Python 3.11+ reports the decorator's line, 3.10 the decorated function's `def` line
    decorator_line = "function_app.py:4" if sys.version_info >= (3, 11) else "function_app.py:6"
    assert decorator_line in message and "trigger" in message


def test_script_without_function_app(tmp_path):
    app = write_v2_app(tmp_path, "import azure.functions as func\nbp = func.Blueprint()\n")
    message, _ = run(failed_metadata(app))
    assert "defines no function app" in message and "func.FunctionApp()" in message


def test_script_with_two_function_apps(tmp_path):
    app = write_v2_app(
        tmp_path,
        """\
        import azure.functions as func
        app = func.FunctionApp()
        other = func.FunctionApp()
        """,
    )
    message, _ = run(failed_metadata(app))
    assert "more than one function app" in message and "app" in message and "other" in message


def test_invalid_script_file_name_setting(tmp_path):
    app = write_v2_app(tmp_path, "import azure.functions as func\napp = func.FunctionApp()\n")
    message, _ = run(failed_metadata(app, env={"PYTHON_SCRIPT_FILE_NAME": "../evil.py"}))
    assert "PYTHON_SCRIPT_FILE_NAME" in message and "../evil.py" in message


def test_load_on_a_second_worker_carries_the_import_error(tmp_path):
    app = write_v2_app(tmp_path, "import azure.functions as func\nraise RuntimeError('boom at import')\n")

    async def go():
        async with start_worker(app) as host:
            metadata = pb.RpcFunctionMetadata(
                name="f",
                directory=app,
                script_file="function_app.py",
                entry_point="f",
                properties={"worker_indexed": "True", "FunctionId": "some-id"},
            )
            loaded = await host.channel.load("some-id", metadata)
            assert loaded.result.status == FAILURE
            assert "boom at import" in loaded.result.exception.message
            assert "function_app.py:2" in loaded.result.exception.message

    run(go())
