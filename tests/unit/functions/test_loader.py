"""v1 scripts are imported as `__app__` modules; every failure names the function, file and fault."""

import textwrap
from pathlib import Path

import pytest

from quickfunc.functions.loader import V1Target, load_entry_point, module_name_for
from quickfunc.functions.registry import FunctionLoadError


class AppWriter:
    """Writes files of a test app under ``root``; calling it returns the written file's path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, rel: str, text: str) -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return str(path)


@pytest.fixture
def app(tmp_path):
    return AppWriter(tmp_path)


def target(app, name, script="__init__.py", entry=""):
    directory = str(app.root / name)
    return V1Target(name, directory, str(app.root / name / script) if script else "", entry)


def test_module_names():
    assert module_name_for("/a/HttpFunc/__init__.py", "/a", "HttpFunc") == "__app__.HttpFunc"
    assert module_name_for("/a/Queue/main.py", "/a", "Queue") == "__app__.Queue.main"


def test_loads_with_shared_code_and_relative_import(app):
    app("Shared1/__init__.py", "")
    app("Shared1/util.py", "def greet(n): return 'hi ' + n\n")
    app("Fn1/helper.py", "SUFFIX = '!'\n")
    app(
        "Fn1/__init__.py",
        """
        from __app__.Shared1.util import greet
        from . import helper
        def main(req):
            return greet(req) + helper.SUFFIX
    """,
    )
    fn, script = load_entry_point(target(app, "Fn1"))
    assert fn("bob") == "hi bob!"
    assert script.endswith("Fn1/__init__.py")


def test_alternate_script_and_entry_point(app):
    app("Fn2/run.py", "def handler(x): return x * 2\n")
    fn, _ = load_entry_point(target(app, "Fn2", "run.py", "handler"))
    assert fn(2) == 4


def test_syntax_error_gives_file_and_line(app):
    app("Bad1/__init__.py", "def main(req):\n    return (\n")
    with pytest.raises(FunctionLoadError) as err:
        load_entry_point(target(app, "Bad1"))
    text = str(err.value)
    assert "Bad1" in text and "Bad1/__init__.py:" in text and "SyntaxError" in text


def test_missing_module_is_named_with_importing_line(app):
    app("Bad2/__init__.py", "import not_a_real_module_xyz\ndef main(req): pass\n")
    with pytest.raises(FunctionLoadError) as err:
        load_entry_point(target(app, "Bad2"))
    text = str(err.value)
    assert "No module named 'not_a_real_module_xyz'" in text
    assert "imported by Bad2/__init__.py:1" in text and "requirements.txt" in text


def test_module_raising_at_import_is_told_apart_from_a_missing_one(app):
    app("Bad3/__init__.py", "x = 1\nraise ValueError('boom at import')\ndef main(req): pass\n")
    with pytest.raises(FunctionLoadError) as err:
        load_entry_point(target(app, "Bad3"))
    text = str(err.value)
    assert "raised ValueError while being imported at Bad3/__init__.py:2: boom at import" in text


def test_missing_entry_point_lists_what_is_there(app):
    app("Bad4/__init__.py", "def handle(req): pass\n")
    with pytest.raises(FunctionLoadError) as err:
        load_entry_point(target(app, "Bad4"))
    assert "entry point main() is not defined" in str(err.value) and "handle" in str(err.value)


def test_script_outside_the_app_is_refused(app, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "evil.py"
    outside.write_text("def main(): pass\n")
    bad = V1Target("Esc", str(app.root / "Esc"), str(outside), "")
    with pytest.raises(FunctionLoadError, match="outside the function app folder"):
        load_entry_point(bad)
    dotted = V1Target("Esc2", str(app.root / "Esc2"), "../../evil.py", "")
    with pytest.raises(FunctionLoadError, match="outside the function app folder"):
        load_entry_point(dotted)


def test_non_python_script_is_refused(app):
    app("Js/index.js", "module.exports = 1")
    with pytest.raises(FunctionLoadError, match="must be a Python file"):
        load_entry_point(target(app, "Js", "index.js"))
