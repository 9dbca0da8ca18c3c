"""FunctionEnvironmentReloadRequest (a placeholder worker specialized for an app): the new
environment, app folder and settings apply all together, or not at all."""

from __future__ import annotations

import json
import logging
import os
import sys

import pytest

from quickfunc import app_index
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path, http, write_v1_function

ENV_INFO = """
    import json, logging, os

    def main(req):
        logging.debug('debug from the function')
        return json.dumps({'setting': os.environ.get('SETTING'), 'cwd': os.getcwd()})
"""


@pytest.fixture
def apps(tmp_path):
    """A placeholder app and the app the worker is specialized for, each with one function."""
    placeholder, app = tmp_path / "placeholder", tmp_path / "app"
    write_v1_function(placeholder, "Placeholder", ENV_INFO)
    write_v1_function(app, "EnvInfo", ENV_INFO)
    return str(placeholder), str(app)


@pytest.fixture
def worker(worker_harness, apps):
    return worker_harness(apps[0], env={"SETTING": "placeholder"})


def _reload(worker, env: dict, app_dir: str) -> pb.FunctionEnvironmentReloadResponse:
    return worker.run(worker.channel.reload_environment(env, app_dir))


def _env_info(worker, name: str) -> dict:
    response = worker.invoke(name, {"req": http()})
    assert response.result.status == SUCCESS, response.result.exception.message
    return json.loads(response.return_value.string)


def test_a_reload_applies_the_new_environment_and_app_folder(worker, apps):
    response = _reload(worker, {"SETTING": "specialized"}, apps[1])
    assert response.result.status == SUCCESS, response.result.exception.message
    assert response.worker_metadata.runtime_name == "python"
    assert worker.state.app_dir == apps[1] and os.environ["SETTING"] == "specialized"
    assert os.getcwd() == apps[1] and apps[1] in sys.path


def test_functions_of_the_new_app_see_only_the_new_environment_and_run_in_its_folder(worker, apps):
    _reload(worker, {"SETTING": "specialized"}, apps[1])
    worker.load_v1_app(apps[1])
    assert _env_info(worker, "EnvInfo") == {"setting": "specialized", "cwd": apps[1]}
    assert "PATH" not in os.environ  # the environment is replaced, not merged


@pytest.mark.parametrize("env, name", [({"BAD=NAME": "x"}, "'BAD=NAME'"), ({"NUL_VALUE": "a\0b"}, "'NUL_VALUE'")])
def test_a_bad_variable_is_named_and_nothing_changes(worker, apps, env, name):
    worker.load_v1_app()
    before, pool = dict(os.environ), worker.state.executor
    response = _reload(worker, {"SETTING": "specialized", **env}, apps[1])
    assert response.result.status == FAILURE and response.result.exception.type == "ValueError"
    assert name in response.result.exception.message
    assert "Nothing was changed" in response.result.exception.message
    assert dict(os.environ) == before and worker.state.app_dir == apps[0]
    assert worker.state.executor is pool
    assert _env_info(worker, "Placeholder")["setting"] == "placeholder"


def test_a_missing_app_folder_is_refused_and_the_app_folder_kept(worker, apps, tmp_path):
    missing = str(tmp_path / "missing")
    response = _reload(worker, {"SETTING": "specialized"}, missing)
    assert response.result.status == FAILURE
    assert response.result.exception.type == "FileNotFoundError"
    assert repr(missing) in response.result.exception.message
    assert worker.state.app_dir == apps[0] and os.environ["SETTING"] == "placeholder"


def test_every_problem_is_named_in_the_one_answer(worker, tmp_path):
    response = _reload(worker, {"A=B": "x", "GOOD": "1"}, str(tmp_path / "missing"))
    message = response.result.exception.message
    assert "'A=B'" in message and "does not exist" in message


def test_a_failure_while_applying_puts_everything_back(worker, apps, monkeypatch):
    def broken(state) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(app_index, "index_early", broken)  # fails after env, cwd, sys.path changed
    environ, cwd, path = dict(os.environ), os.getcwd(), list(sys.path)
    settings, pool = worker.state.settings, worker.state.executor
    response = _reload(worker, {"SETTING": "new", "PYTHON_ENABLE_DEBUG_LOGGING": "1"}, apps[1])
    assert response.result.status == FAILURE
    assert "OSError: disk on fire" in response.result.exception.message
    assert "were restored" in response.result.exception.message
    assert (dict(os.environ), os.getcwd(), sys.path) == (environ, cwd, path)
    assert worker.state.app_dir == apps[0] and worker.state.settings is settings
    assert worker.state.executor is pool and logging.getLogger().level != logging.DEBUG


def test_settings_are_read_again_debug_logging_for_one(worker, apps):
    worker.load_v1_app()
    quiet = worker.invoke("Placeholder", {"req": http()})
    assert not [log for log in worker.logs_for(quiet.invocation_id) if "debug from" in log.message]
    _reload(worker, {"PYTHON_ENABLE_DEBUG_LOGGING": "1"}, apps[0])
    loud = worker.invoke("Placeholder", {"req": http()})
    assert [log for log in worker.logs_for(loud.invocation_id) if "debug from" in log.message]


def test_the_thread_pool_is_sized_by_the_new_settings(worker, apps):
    old = worker.state.executor
    _reload(worker, {"PYTHON_THREADPOOL_THREAD_COUNT": "3"}, apps[1])
    assert worker.state.executor is not old and worker.state.executor.max_workers == 3


def test_with_init_indexing_the_new_v2_app_is_indexed_during_the_reload(worker, tmp_path):
    imports = tmp_path / "imports.log"
    env = {"PYTHON_ENABLE_INIT_INDEXING": "1", "V2_IMPORT_LOG": str(imports)}
    counted = app_path("v2_counted")
    assert _reload(worker, env, counted).result.status == SUCCESS
    assert len(imports.read_text().split()) == 1
    response = worker.metadata(app_dir=counted)
    assert [f.name for f in response.function_metadata_results] == ["ping", "tick"]
    assert len(imports.read_text().split()) == 1


def test_the_answer_carries_the_workers_request_id(worker_harness, apps):
    worker = worker_harness(apps[0], request_id="worker-r")
    worker.send(
        pb.StreamingMessage(
            request_id="host-r",
            function_environment_reload_request=(
                pb.FunctionEnvironmentReloadRequest(environment_variables={"A": "1"}, function_app_directory=apps[1])
            ),
        )
    )
    assert worker.next_reply("function_environment_reload_response").request_id == "worker-r"
