"""FunctionsMetadataRequest: how the worker describes a v2 app to the host, falls back to
function.json folders, and refuses to index what is not the app."""

from __future__ import annotations

import json

from quickfunc.protos import pb
from tests.helpers import FAILURE, IN, OUT, SUCCESS, app_path, indexed_id


def _write(folder, text: str, name: str = "function_app.py") -> str:
    (folder / name).write_text(text)
    return str(folder)


def test_each_function_is_described_with_its_id_place_and_bindings(worker_harness):
    app = app_path("v2_counted")
    response = worker_harness(app).metadata()
    assert response.result.status == SUCCESS and not response.use_default_metadata_indexing
    ping = {f.name: f for f in response.function_metadata_results}["ping"]
    assert ping.function_id == indexed_id("ping")
    assert (ping.directory, ping.script_file, ping.entry_point) == (app, "function_app.py", "ping")
    assert ping.language == "python" and ping.properties["worker_indexed"] == "True"
    assert ping.status.status == SUCCESS
    assert {n: b.direction for n, b in ping.bindings.items()} == {"req": IN, "$return": OUT}
    raw = [json.loads(b) for b in ping.raw_bindings]
    assert {b["type"] for b in raw} == {"httpTrigger", "http"}


def test_the_answer_echoes_the_hosts_request_id(worker_harness):
    worker = worker_harness(app_path("v2_counted"))
    worker.send(
        pb.StreamingMessage(
            request_id="host-md-1",
            functions_metadata_request=(pb.FunctionsMetadataRequest(function_app_directory=app_path("v2_counted"))),
        )
    )
    assert worker.next_reply("function_metadata_response").request_id == "host-md-1"


def test_an_app_without_function_app_py_asks_the_host_to_read_function_json(worker_harness):
    response = worker_harness(app_path("v1_lifecycle")).metadata()
    assert response.result.status == SUCCESS
    assert response.use_default_metadata_indexing and not response.function_metadata_results


def test_an_app_with_no_functions_falls_back_too_with_a_warning(worker_harness, tmp_path):
    app = _write(tmp_path, "import azure.functions as func\napp = func.FunctionApp()\n")
    worker = worker_harness(app)
    response = worker.metadata()
    assert response.result.status == SUCCESS and response.use_default_metadata_indexing
    assert any("no functions" in log.message for log in worker.channel.logs)


def test_a_script_that_fails_to_import_fails_the_request_naming_file_and_line(worker_harness, tmp_path):
    app = _write(tmp_path, "import azure.functions as func\n\nx = 1 / 0\n")
    response = worker_harness(app).metadata()
    assert response.result.status == FAILURE
    exception = response.result.exception
    assert exception.type == "FunctionIndexError"
    assert "function_app.py:3" in exception.message and "ZeroDivisionError" in exception.message
    assert "function_app.py" in exception.stack_trace


def test_a_folder_that_is_not_the_app_folder_is_not_indexed(worker_harness, tmp_path):
    other = _write(tmp_path, "raise SystemExit('must never be imported')\n")
    worker = worker_harness(app_path("v2_counted"))
    response = worker.metadata(app_dir=other)
    assert response.result.status == FAILURE
    assert response.result.exception.type == "FunctionIndexError"
    assert "not the function app folder" in response.result.exception.message
    assert worker.metadata().result.status == SUCCESS  # the worker keeps serving its own app


def test_a_broken_function_is_reported_on_its_own_entry(worker_harness):
    response = worker_harness(app_path("v2_bad_functions")).metadata()
    assert response.result.status == SUCCESS
    found = {f.name: f.status for f in response.function_metadata_results}
    assert found["good"].status == SUCCESS
    broken = found["wrong_annotation"]
    assert broken.status == FAILURE and broken.exception.type == "FunctionLoadError"
    assert "wrong_annotation" in broken.exception.message
    assert "function_app.py:" in broken.exception.message


def test_retry_policies_reach_the_host_as_retry_options(worker_harness):
    response = worker_harness(app_path("v2_triggers")).metadata()
    found = {f.name: f for f in response.function_metadata_results}
    hourly, copy_blob = found["hourly"].retry_options, found["copy_blob"].retry_options
    assert hourly.retry_strategy == pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")
    assert (hourly.max_retry_count, hourly.delay_interval.seconds) == (3, 10)
    assert copy_blob.retry_strategy == pb.RpcRetryOptions.RetryStrategy.Value("exponential_backoff")
    assert (copy_blob.minimum_interval.seconds, copy_blob.maximum_interval.seconds) == (2, 900)
    assert not found["orders"].HasField("retry_options")


def test_the_script_comes_from_python_script_file_name(worker_harness, tmp_path):
    app = _write(
        tmp_path,
        "import azure.functions as func\napp = func.FunctionApp()\n"
        "@app.route(route='x')\ndef main_fn(req: func.HttpRequest) -> str:\n"
        "    return 'x'\n",
        name="main.py",
    )
    worker = worker_harness(app, env={"PYTHON_SCRIPT_FILE_NAME": "main.py"})
    response = worker.metadata()
    assert response.result.status == SUCCESS, response.result.exception.message
    assert [f.name for f in response.function_metadata_results] == ["main_fn"]


def test_a_script_file_name_that_is_no_python_file_name_is_refused(worker_harness, tmp_path):
    worker = worker_harness(str(tmp_path), env={"PYTHON_SCRIPT_FILE_NAME": "../evil.py"})
    response = worker.metadata()
    assert response.result.status == FAILURE
    assert "PYTHON_SCRIPT_FILE_NAME" in response.result.exception.message
