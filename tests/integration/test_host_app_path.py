"""Naming the app (issue 14, point 8): an app with no functions says what was looked for and what
looks like the app; the path of a file in the app is accepted for its folder."""

from __future__ import annotations

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, run_host_command

V2_SCRIPT = """\
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> str:
    return "pong"
"""


@pytest.fixture
def app_py(tmp_path):
    """A v2 app whose script is app.py instead of function_app.py."""
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    (tmp_path / "app.py").write_text(V2_SCRIPT)
    return tmp_path


def test_an_empty_folder_says_what_was_looked_for(tmp_path):
    with LocalHostProcess(str(tmp_path)) as host:
        out = host.output()
    assert "(none found)" in out
    assert (
        f"looked for function_app.py (a v2 app) and for folders holding a function.json (a v1 app) in {tmp_path}" in out
    )


def test_a_script_named_app_py_is_pointed_out(app_py):
    with LocalHostProcess(str(app_py)) as host:
        out = host.output()
    assert "(none found)" in out
    assert "app.py creates a FunctionApp: rename it function_app.py, set PYTHON_SCRIPT_FILE_NAME=app.py" in out


def test_a_function_folder_given_for_the_app_is_pointed_out():
    with LocalHostProcess(app_path("host_fidelity_v1") + "/GetOnly") as host:
        out = host.output()
    assert "is itself a function folder (it holds function.json)" in out


def test_the_path_of_the_script_serves_its_app(app_py):
    with LocalHostProcess(str(app_py / "app.py")) as host:
        assert f"quickfunc local host: {app_py} (v2 app)" in host.output()
        assert host.get("/api/ping").text == "pong"


def test_the_path_of_function_app_py_serves_its_folder():
    with LocalHostProcess(app_path("v2_basic") + "/function_app.py") as host:
        assert host.get("/api/hello?name=Ann").status == 200


def test_the_path_of_a_function_json_serves_the_v1_app():
    with LocalHostProcess(app_path("host_fidelity_v1") + "/GetOnly/function.json") as host:
        assert host.get("/api/only/get").text == "got"


def test_a_missing_path_still_says_it_does_not_exist(tmp_path):
    result = run_host_command(str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert f"the app folder {tmp_path / 'nowhere'} does not exist" in result.stderr
