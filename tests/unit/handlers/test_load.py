"""FunctionLoadRequest and its collection form: one answer per function, a failure that names the
function, file and fault, remembered for its invocations; the other functions load regardless."""

from __future__ import annotations

import pytest

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.request_builders import build_invocation, indexed_load_metadata
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, http

BROKEN = app_path("v1_broken")


@pytest.fixture
def broken(worker_harness):
    worker = worker_harness(BROKEN)
    worker.load_v1_app()
    return worker


def _failure(worker, name: str) -> pb.RpcException:
    _, response = worker.loads[name]
    assert response.result.status == FAILURE, f"{name} loaded although it is broken"
    assert response.result.exception.type == "FunctionLoadError"
    return response.result.exception


def test_good_functions_load_next_to_broken_ones(broken):
    loaded = {name for name, (_, r) in broken.loads.items() if r.result.status == SUCCESS}
    assert loaded == {"BigOutput", "CustomBinding", "Good", "TimerJson"}
    assert broken.invoke("Good", {"req": http()}).return_value.string == "still fine"


def test_a_syntax_error_names_the_function_file_and_line(broken):
    message = _failure(broken, "BrokenSyntax").message
    assert "BrokenSyntax function" in message
    assert "SyntaxError in BrokenSyntax/__init__.py:5" in message
    assert "if req.method == 'GET'" in message  # the line itself


def test_a_missing_module_is_named_with_the_line_that_imports_it(broken):
    message = _failure(broken, "MissingModule").message
    assert "No module named 'quickfunc_not_installed_pkg'" in message
    assert "MissingModule/__init__.py:2" in message and "requirements.txt" in message


def test_an_exception_at_import_names_its_type_place_and_text(broken):
    exception = _failure(broken, "ImportTimeError")
    assert "raised KeyError while being imported at ImportTimeError/__init__.py:5" in exception.message
    assert "QUICKFUNC_MISSING_CONNECTION_SETTING" in exception.message
    assert "ImportTimeError/__init__.py" in exception.stack_trace


def test_a_missing_entry_point_lists_what_the_script_defines(broken):
    message = _failure(broken, "NoEntryPoint").message
    assert "main() is not defined" in message and "it defines: handler" in message


def test_parameters_that_do_not_match_the_bindings_are_named(broken):
    mismatch = _failure(broken, "NameMismatch").message
    assert "not in the bindings: request (bindings are: req)" in mismatch
    assert "annotated azure.functions.QueueMessage" in _failure(broken, "WrongAnnotation").message


def test_invoking_a_function_that_failed_to_load_repeats_why(broken):
    function_id, _ = broken.loads["BrokenSyntax"]
    response = broken.invoke_request(build_invocation(function_id, {"req": http()}))
    assert response.result.status == FAILURE
    assert "this function failed to load" in response.result.exception.message
    assert "BrokenSyntax/__init__.py:5" in response.result.exception.message


def test_loading_a_loaded_function_again_succeeds_without_loading_it_twice(worker_harness):
    app = app_path("v1_lifecycle")
    worker = worker_harness(app)
    ((function_id, metadata),) = [(f, m) for f, m in discover_v1_functions(app) if m.name == "Hello"]
    assert worker.load(function_id, metadata).result.status == SUCCESS
    assert worker.load(function_id, metadata).result.status == SUCCESS
    loaded = [log for log in worker.channel.logs if log.message.startswith("Loaded function Hello")]
    assert len(loaded) == 1


def test_a_collection_is_answered_with_one_response_per_function_in_order(worker_harness):
    worker = worker_harness(BROKEN)
    found = {md.name: (fid, md) for fid, md in discover_v1_functions(BROKEN)}
    names = ["Good", "BrokenSyntax", "TimerJson"]
    requests = [pb.FunctionLoadRequest(function_id=found[n][0], metadata=found[n][1]) for n in names]
    responses = worker.run(worker.channel.load_collection(requests))
    assert [r.function_id for r in responses] == [found[n][0] for n in names]
    assert [r.result.status for r in responses] == [SUCCESS, FAILURE, SUCCESS]
    answered = [
        r.function_id
        for collection in worker.replies("function_load_response_collection")
        for r in collection.function_load_responses
    ]
    assert sorted(answered) == sorted(r.function_id for r in responses)  # each once


def test_a_script_outside_the_app_folder_is_refused(worker_harness, tmp_path):
    app = tmp_path / "app"
    (app / "Fn").mkdir(parents=True)
    (tmp_path / "outside.py").write_text("def main(req):\n    return 'escaped'\n")
    worker = worker_harness(str(app))
    metadata = pb.RpcFunctionMetadata(name="Fn", directory=str(app / "Fn"), script_file=str(tmp_path / "outside.py"))
    response = worker.load("fn-1", metadata)
    assert response.result.status == FAILURE
    assert "outside the function app folder" in response.result.exception.message


def test_an_indexed_function_the_index_does_not_know_is_refused_naming_the_known_ones(worker_harness):
    worker = worker_harness(app_path("v2_counted"))
    (ping,) = [f for f in worker.metadata().function_metadata_results if f.name == "ping"]
    metadata = indexed_load_metadata(ping, "not-an-indexed-id")
    metadata.name = "ghost"
    response = worker.load("not-an-indexed-id", metadata)
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "ping" in message and "tick" in message


def test_a_load_answer_carries_the_function_id_and_the_workers_request_id(worker_harness):
    worker = worker_harness(BROKEN, request_id="worker-9")
    (function_id, metadata), *_ = discover_v1_functions(BROKEN)
    worker.send(
        pb.StreamingMessage(
            request_id="host-1",
            function_load_request=(pb.FunctionLoadRequest(function_id=function_id, metadata=metadata)),
        )
    )
    reply = worker.next_reply("function_load_response")
    assert reply.request_id == "worker-9"
    assert reply.function_load_response.function_id == function_id
