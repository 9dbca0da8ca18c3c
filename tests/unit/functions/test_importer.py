"""Importing user code: every way it can fail becomes one message naming the file and line at
fault, with a stack trace of the user's own frames (seen here through the metadata answer of a
v2 app, whose script the worker imports)."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import FAILURE, SUCCESS

APP_HEAD = "import azure.functions as func\n"


def _index_error(worker_harness, app_dir, files: dict[str, str]):
    """Write the app's files, ask for its metadata; the failed answer's exception."""
    for name, text in files.items():
        path = app_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    response = worker_harness(str(app_dir)).metadata()
    assert response.result.status == FAILURE, "the app indexed although it cannot be imported"
    return response.result.exception


def test_a_syntax_error_names_file_line_and_shows_the_line(worker_harness, tmp_path):
    exception = _index_error(worker_harness, tmp_path, {"function_app.py": APP_HEAD + "def broken(:\n    pass\n"})
    assert exception.message.startswith("SyntaxError in function_app.py:2: ")
    assert exception.message.endswith("\n    def broken(:")


def test_an_indentation_error_is_named_as_such(worker_harness, tmp_path):
    exception = _index_error(worker_harness, tmp_path, {"function_app.py": APP_HEAD + "if True:\nx = 1\n"})
    assert exception.message.startswith("IndentationError in function_app.py:3")


def test_a_syntax_error_in_an_imported_module_names_that_module(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {
            "function_app.py": APP_HEAD + "import app_helpers.text\n",
            "app_helpers/__init__.py": "",
            "app_helpers/text.py": "x = = 1\n",
        },
    )
    assert exception.message.startswith("SyntaxError in app_helpers/text.py:1")


def test_a_missing_module_is_named_with_the_line_importing_it_and_a_hint(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness, tmp_path, {"function_app.py": APP_HEAD + "\nimport quickfunc_no_such_package\n"}
    )
    message = exception.message
    assert "No module named 'quickfunc_no_such_package'" in message
    assert "(imported by function_app.py:3)" in message and "requirements.txt" in message


def test_a_missing_module_imported_by_a_helper_names_the_helpers_line(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {
            "function_app.py": APP_HEAD + "import app_shared\n",
            "app_shared.py": "import os\nimport quickfunc_no_such_package\n",
        },
    )
    assert "(imported by app_shared.py:2)" in exception.message
    assert "app_shared.py" in exception.stack_trace and "function_app.py" in exception.stack_trace


def test_an_exception_at_import_names_its_type_place_and_text(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {"function_app.py": APP_HEAD + "import os\nX = os.environ['QUICKFUNC_NOT_SET_ANYWHERE']\n"},
    )
    assert exception.message == (
        "function_app.py raised KeyError while being imported at function_app.py:3: 'QUICKFUNC_NOT_SET_ANYWHERE'"
    )


def test_an_exception_raised_in_a_helper_is_placed_where_it_was_raised(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {
            "function_app.py": APP_HEAD + "import app_config\n",
            "app_config.py": "def load():\n    raise RuntimeError('no config file')\n\nload()\n",
        },
    )
    assert "raised RuntimeError while being imported at app_config.py:2: no config file" in exception.message


def test_the_stack_trace_holds_only_the_users_frames(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {"function_app.py": APP_HEAD + "import app_config\n", "app_config.py": "raise RuntimeError('boom')\n"},
    )
    assert "app_config.py" in exception.stack_trace
    assert "importlib" not in exception.stack_trace and "quickfunc" not in exception.stack_trace


def test_an_exception_whose_str_fails_is_still_reported(worker_harness, tmp_path):
    exception = _index_error(
        worker_harness,
        tmp_path,
        {
            "function_app.py": APP_HEAD
            + ("class Odd(Exception):\n    def __str__(self):\n        raise TypeError('no str')\nraise Odd()\n")
        },
    )
    assert "raised Odd while being imported at function_app.py:5: <Odd whose str() failed>" in exception.message


@pytest.mark.parametrize(
    "statement, name", [("raise SystemExit(3)", "SystemExit"), ("import sys\nsys.exit('bye')", "SystemExit")]
)
def test_exiting_at_import_is_reported_and_the_worker_serves_on(worker_harness, tmp_path, statement, name):
    (tmp_path / "function_app.py").write_text(APP_HEAD + statement + "\n")
    worker = worker_harness(str(tmp_path))
    response = worker.metadata()
    assert response.result.status == FAILURE
    assert f"raised {name} while being imported" in response.result.exception.message
    assert worker.run(worker.channel.status()) >= 0


def test_an_app_that_imports_cleanly_indexes(worker_harness, tmp_path):
    (tmp_path / "function_app.py").write_text(APP_HEAD + "import app_shared\napp = func.FunctionApp()\n")
    (tmp_path / "app_shared.py").write_text("VALUE = 1\n")
    assert worker_harness(str(tmp_path)).metadata().result.status == SUCCESS
