"""Indexing a v2 app: every function the FunctionApp (and its Blueprints) registers is found and
checked on its own; a broken one is reported by name and place, the others still index."""

from __future__ import annotations

import pytest

from tests.harness import WorkerHarness
from tests.helpers import FAILURE, SUCCESS, app_path, indexed_id

APP_HEAD = "import azure.functions as func\n"


@pytest.fixture(scope="module")
def bad(module_worker_harness):
    """{name: status} of tests/apps/v2_bad_functions, indexed once."""
    response = module_worker_harness(app_path("v2_bad_functions")).metadata()
    assert response.result.status == SUCCESS, response.result.exception.message
    return {f.name: f.status for f in response.function_metadata_results}


def _error(bad, name: str) -> str:
    assert bad[name].status == FAILURE, f"{name} indexed although it is broken"
    return bad[name].exception.message


def test_function_ids_are_the_same_in_every_worker():
    def ids() -> dict[str, str]:
        with WorkerHarness(app_path("v2_counted")) as worker:
            return {f.name: f.function_id for f in worker.metadata().function_metadata_results}

    expected = {name: indexed_id(name) for name in ("ping", "tick")}
    assert ids() == ids() == expected


def test_good_functions_index_next_to_broken_ones(bad):
    assert {name for name, status in bad.items() if status.status == SUCCESS} == {
        "good",
        "split_get",
        "split_post",
        "typed_int",
        "typed_any",
    }


def test_a_signature_that_does_not_fit_the_bindings_names_function_and_line(bad):
    assert _error(bad, "extra_param").startswith("cannot load the extra_param function (function_app.py:17)")
    assert "count" in _error(bad, "extra_param")
    assert "NoSuchType" in _error(bad, "unresolvable")


def test_a_name_used_twice_is_one_entry_naming_both_functions(bad):
    message = _error(bad, "twin")
    assert "twin_one() (function_app.py:53)" in message
    assert "twin_two() (function_app.py:59)" in message
    assert "twin_one" not in bad and "twin_two" not in bad


def test_routes_that_match_the_same_requests_are_flagged_on_both_functions(bad):
    assert _error(bad, "shared_a") == _error(bad, "shared_b")
    assert "'shared/{id}' and '/Shared/{key}/'" in _error(bad, "shared_a")


@pytest.mark.parametrize(
    "name, text",
    [
        ("bad_retry_interval", "delay_interval='10s') is not a time span"),
        ("bad_retry_strategy", "strategy='linear') is not a retry strategy"),
        ("bad_retry_count", "max_retry_count='many') must be a whole number"),
    ],
)
def test_a_retry_setting_the_host_cannot_use_is_named(bad, name, text):
    assert text in _error(bad, name)


@pytest.mark.parametrize("name", ["_private", "host"])
def test_names_the_host_refuses_are_refused_here(bad, name):
    assert "the host only accepts function names" in _error(bad, name)


def test_two_bindings_of_one_name_and_a_function_without_trigger_are_named(bad):
    assert "two bindings are named 'msg'" in _error(bad, "same_binding_name")
    assert "does not have a trigger" in _error(bad, "no_trigger")


def test_blueprint_functions_are_indexed_with_the_apps(worker_harness):
    response = worker_harness(app_path("v2_blueprint")).metadata()
    found = {f.name: f.status.status for f in response.function_metadata_results}
    names = ("home", "get_order", "CreateOrder", "run_job", "nightly")
    assert found == {name: SUCCESS for name in names}


def test_a_blueprint_that_is_not_registered_is_warned_about(worker_harness, tmp_path):
    (tmp_path / "function_app.py").write_text(
        APP_HEAD
        + (
            "app = func.FunctionApp()\nbp = func.Blueprint()\n"
            "@bp.route(route='lost')\ndef lost(req: func.HttpRequest) -> str:\n    return 'x'\n"
            "@app.route(route='kept')\ndef kept(req: func.HttpRequest) -> str:\n    return 'x'\n"
        )
    )
    worker = worker_harness(str(tmp_path))
    assert [f.name for f in worker.metadata().function_metadata_results] == ["kept"]
    warnings = [log.message for log in worker.channel.logs if "Blueprint 'bp'" in log.message]
    assert len(warnings) == 1 and "lost" in warnings[0] and "register_functions(bp)" in warnings[0]


@pytest.mark.parametrize(
    "script, text",
    [
        ("x = 1\n", "defines no function app"),
        ("a = func.FunctionApp()\nb = func.FunctionApp()\n", "more than one function app (a, b)"),
    ],
)
def test_a_script_without_exactly_one_function_app_fails_the_index(worker_harness, tmp_path, script, text):
    (tmp_path / "function_app.py").write_text(APP_HEAD + script)
    response = worker_harness(str(tmp_path)).metadata()
    assert response.result.status == FAILURE
    assert text in response.result.exception.message
