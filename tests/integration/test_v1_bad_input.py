"""Bad v1 input: each load error names the function, the file and the fault, and the rest of the
app keeps loading and running; bad invocations fail alone.

App ``tests/apps/v1_broken`` (one worker for the module; a second one with a small message limit).
"""

from __future__ import annotations

import os
import uuid

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, failure_text, http, json_data, string
from tests.integration.conftest import LimitedCommand

APP = app_path("v1_broken")
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def worker(live_worker_factory):
    return live_worker_factory(APP)


def _good_still_runs(worker) -> None:
    resp = worker.invoke("Good", {"req": http()})
    assert resp.result.status == SUCCESS, failure_text(resp)
    assert resp.return_value.string == "still fine"


def _load_failure(worker, name: str) -> str:
    _, resp = worker.loads[name]
    assert resp.result.status == FAILURE, f"{name} loaded although it is broken"
    message = resp.result.exception.message
    assert f"{name} function" in message, message  # names the function ...
    assert f"{name}/__init__.py" in message, message  # ... and the file
    _good_still_runs(worker)
    return message


def test_good_functions_load_next_to_broken_ones(worker):
    loaded = sorted(n for n, (_, r) in worker.loads.items() if r.result.status == SUCCESS)
    assert loaded == ["BigOutput", "CustomBinding", "Good", "TimerJson"]
    _good_still_runs(worker)


def test_syntax_error_names_file_and_line(worker):
    message = _load_failure(worker, "BrokenSyntax")
    assert "SyntaxError" in message
    assert "BrokenSyntax/__init__.py:5" in message
    assert "if req.method == 'GET'" in message


def test_missing_module_names_the_module(worker):
    message = _load_failure(worker, "MissingModule")
    assert "ModuleNotFoundError: No module named 'quickfunc_not_installed_pkg'" in message
    assert "MissingModule/__init__.py:2" in message
    _, resp = worker.loads["MissingModule"]
    trace = resp.result.exception.stack_trace
    assert "import quickfunc_not_installed_pkg" in trace
    assert "<frozen importlib" not in trace


def test_exception_at_import_names_the_line_and_error(worker):
    message = _load_failure(worker, "ImportTimeError")
    assert "KeyError" in message and "QUICKFUNC_MISSING_CONNECTION_SETTING" in message
    assert "ImportTimeError/__init__.py:5" in message
    _, resp = worker.loads["ImportTimeError"]
    files = [
        line.split('"')[1] for line in resp.result.exception.stack_trace.splitlines() if line.startswith('  File "')
    ]
    assert files == [os.path.join(APP, "ImportTimeError", "__init__.py")]


def test_missing_entry_point_names_it_and_what_the_script_defines(worker):
    message = _load_failure(worker, "NoEntryPoint")
    assert "main()" in message
    assert "handler" in message
    assert "entryPoint" in message


def test_binding_and_parameter_name_mismatch_names_both(worker):
    message = _load_failure(worker, "NameMismatch")
    assert "request" in message and "req" in message
    assert "not in the bindings" in message


def test_annotation_that_does_not_fit_the_binding_type(worker):
    message = _load_failure(worker, "WrongAnnotation")
    assert "'req'" in message
    assert "QueueMessage" in message and "httpTrigger" in message


def test_unknown_binding_types_load_and_run_through_the_generic_converter(worker):
    resp = worker.invoke("CustomBinding", {"item": string("order-9"), "extra": pb.TypedData(bytes=b"\x00\x01\x02")})
    assert resp.result.status == SUCCESS, failure_text(resp)
    # a binding type without a converter has an implicit output: the return value is sent
    assert resp.return_value.string == "order-9 with 3 extra bytes"


def test_unknown_binding_type_with_a_specific_annotation_fails_clearly(worker):
    message = _load_failure(worker, "CustomBindingBadAnnotation")
    assert "'item'" in message
    assert "HttpRequest" in message and "fooTrigger" in message


def test_invocation_of_unknown_function_id_fails_naming_the_id(worker):
    unknown = str(uuid.uuid4())
    resp = worker.invoke_request(build_invocation(unknown, {"req": http()}))
    assert resp.result.status == FAILURE
    assert unknown in resp.result.exception.message
    _good_still_runs(worker)


def test_invocation_of_a_function_that_failed_to_load_repeats_its_load_error(worker):
    function_id, _ = worker.loads["NoEntryPoint"]
    resp = worker.invoke_request(build_invocation(function_id, {"req": http()}))
    assert resp.result.status == FAILURE
    assert "NoEntryPoint" in resp.result.exception.message
    assert "main()" in resp.result.exception.message


def test_invalid_json_for_a_json_binding_fails_naming_the_binding(worker):
    resp = worker.invoke("TimerJson", {"mytimer": json_data("{not json")})
    assert resp.result.status == FAILURE
    message = resp.result.exception.message
    assert "'mytimer'" in message and "timerTrigger" in message
    assert "JSON" in message
    ok = worker.invoke("TimerJson", {"mytimer": json_data('{"IsPastDue": false}')})
    assert ok.result.status == SUCCESS, failure_text(ok)


def test_output_over_the_message_size_limit_fails_naming_the_limit_and_worker_keeps_serving(live_worker_factory):
    limited = live_worker_factory(APP, command=LimitedCommand(LIMIT))
    big = limited.invoke("BigOutput", {"req": http("GET", f"http://x/api/big?size={LIMIT * 2}")})
    assert big.result.status == FAILURE
    message = big.result.exception.message
    assert str(LIMIT) in message
    assert "limit" in message
    assert not big.HasField("return_value")
    small = limited.invoke("BigOutput", {"req": http("GET", "http://x/api/big?size=1000")})
    assert small.result.status == SUCCESS, failure_text(small)
    assert small.return_value.http.body.bytes == b"x" * 1000
