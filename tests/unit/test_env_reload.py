"""Environment reload: checks before applying, and a failure while applying puts everything back."""
from __future__ import annotations

import logging
import os
import sys

import pytest

from quickfunc import app_index
from quickfunc.dispatcher import Dispatcher
from quickfunc.handlers import reload
from quickfunc.handlers.reload_checks import check_app_folder, check_variables, describe, shown
from quickfunc.protos import pb
from quickfunc.settings import Settings
from quickfunc.state import WorkerState

FAILURE = pb.StatusResult.Failure
SUCCESS = pb.StatusResult.Success


@pytest.fixture
def process_state(tmp_path):
    """This process's environment, cwd, sys.path and log levels, put back after the test."""
    environ, cwd, path = dict(os.environ), os.getcwd(), list(sys.path)
    levels = logging.getLogger().level, logging.getLogger(reload.SYSTEM_LOGGER).level
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        sys.path[:] = path
        logging.getLogger().setLevel(levels[0])
        logging.getLogger(reload.SYSTEM_LOGGER).setLevel(levels[1])


def _reload(state: WorkerState, variables: dict, app_dir: str) -> pb.FunctionEnvironmentReloadResponse:
    sent: list[pb.StreamingMessage] = []
    state.send = sent.append
    Dispatcher(state).dispatch(pb.StreamingMessage(  # the handler answers through the dispatcher
        function_environment_reload_request=pb.FunctionEnvironmentReloadRequest(
            environment_variables=variables, function_app_directory=app_dir)))
    assert len(sent) == 1
    return sent[0].function_environment_reload_response


def test_a_failure_while_applying_restores_env_cwd_sys_path_and_app_folder(tmp_path, monkeypatch, process_state):
    old_app, new_app = tmp_path / "old", tmp_path / "new"
    old_app.mkdir(), new_app.mkdir()
    os.chdir(old_app)
    os.environ["QUICKFUNC_OLD"] = "kept"
    state = WorkerState(send=lambda m: None, request_id="r", settings=Settings(), app_dir=str(old_app))
    pool, settings, environ, path = state.executor, state.settings, dict(os.environ), list(sys.path)

    def broken(state: WorkerState) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(app_index, "index_early", broken)
    response = _reload(state, {"QUICKFUNC_NEW": "x", "PYTHON_ENABLE_DEBUG_LOGGING": "1"}, str(new_app))

    assert response.result.status == FAILURE
    assert "OSError: disk on fire" in response.result.exception.message
    assert "were restored" in response.result.exception.message
    assert dict(os.environ) == environ
    assert os.getcwd() == str(old_app)
    assert sys.path == path and str(new_app) not in sys.path
    assert state.app_dir == str(old_app) and state.settings is settings and state.executor is pool
    assert logging.getLogger().level != logging.DEBUG


def test_a_refused_reload_touches_nothing(tmp_path, process_state):
    state = WorkerState(send=lambda m: None, request_id="r", settings=Settings(), app_dir=str(tmp_path))
    environ, pool = dict(os.environ), state.executor
    response = _reload(state, {"GOOD": "1", "A=B": "x"}, str(tmp_path / "missing"))
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "'A=B'" in message and "does not exist" in message and "Nothing was changed" in message
    assert dict(os.environ) == environ and state.executor is pool and state.app_dir == str(tmp_path)


def test_a_good_reload_applies_and_replaces_the_pool(tmp_path, process_state):
    state = WorkerState(send=lambda m: None, request_id="r", settings=Settings(), app_dir=None)
    pool = state.executor
    response = _reload(state, {"QUICKFUNC_NEW": "x", "PYTHON_THREADPOOL_THREAD_COUNT": "3"}, str(tmp_path))
    assert response.result.status == SUCCESS, response.result.exception.message
    assert dict(os.environ) == {"QUICKFUNC_NEW": "x", "PYTHON_THREADPOOL_THREAD_COUNT": "3"}
    assert os.getcwd() == str(tmp_path) and state.app_dir == str(tmp_path) and str(tmp_path) in sys.path
    assert state.executor is not pool and state.executor.max_workers == 3


@pytest.mark.parametrize("variables, found", [
    ({"A=B": "x"}, "the variable name 'A=B' contains '='"),
    ({"A\0B": "x"}, r"the variable name 'A\x00B' contains a NUL byte"),
    ({"A": "line\0"}, "the value of 'A' contains a NUL byte"),
    ({"": "x"}, "a variable has an empty name"),
    ({"A": "ok", "B_\n": "ok"}, None),
])
def test_variable_checks(variables, found):
    problems = check_variables(variables)
    assert [p.text for p in problems] == ([found] if found else [])


def test_folder_checks(tmp_path):
    (tmp_path / "f").write_text("")
    assert check_app_folder(str(tmp_path)) == []
    assert "does not exist" in check_app_folder(str(tmp_path / "nope"))[0].text
    assert "is not a folder" in check_app_folder(str(tmp_path / "f"))[0].text
    assert r"\x00" in check_app_folder("/tmp/a\0b")[0].text


def test_long_names_are_cut_and_many_problems_counted():
    assert shown("x" * 500) == repr("x" * 80) + "... (500 characters)"
    message = describe(check_variables({f"V{i}=": "" for i in range(8)}))
    assert message.count("contains '='") == 5 and "and 3 more problem(s)" in message
