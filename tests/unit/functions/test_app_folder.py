"""quickfunc.functions.app_folder: what counts as inside the function app folder."""

from __future__ import annotations

import os

import pytest

from quickfunc.functions.app_folder import (
    app_folder,
    check_function_folder,
    check_indexed_folder,
    is_inside,
    same_folder,
)
from quickfunc.functions.registry import FunctionLoadError


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "app" / "Func").mkdir(parents=True)
    (tmp_path / "app2").mkdir()
    (tmp_path / "app" / "Out").symlink_to(tmp_path / "app2")
    return tmp_path


def test_inside_below_and_same(tree):
    app = str(tree / "app")
    assert is_inside(os.path.join(app, "Func"), app)
    assert is_inside(os.path.join(app, "Func", "x.py"), app)  # need not exist yet
    assert not is_inside(app, app)
    assert is_inside(app, app, allow_same=True)


@pytest.mark.parametrize(
    "path",
    [
        "app2",  # a sibling whose name starts like the app's
        "app/Func/../../app2",  # .. out
        "app/Out",  # a symlink to the sibling
        "app/Out/x.py",
        "",  # nothing
    ],
)
def test_outside(tree, path):
    app = str(tree / "app")
    assert not is_inside(os.path.join(str(tree), path) if path else "", app)


def test_a_nul_byte_is_outside_rather_than_an_error(tree):
    assert not is_inside(str(tree / "app") + "/Func\x00", str(tree / "app"))
    assert not same_folder(str(tree / "app") + "\x00", str(tree / "app"))


def test_app_folder_is_the_named_one_or_the_working_directory(tree, monkeypatch):
    monkeypatch.chdir(tree)
    assert app_folder(None) == str(tree)
    assert app_folder("app") == str(tree / "app")


def test_check_function_folder_names_function_path_and_app(tree):
    app = str(tree / "app")
    check_function_folder("Func", os.path.join(app, "Func"), "__init__.py", app)
    with pytest.raises(FunctionLoadError) as err:
        check_function_folder("Func", os.path.join(app, "Func"), "../../app2/x.py", app)
    text = str(err.value)
    assert "the Func function" in text and "app2" in text and f"outside the function app folder {app}" in text


def test_check_indexed_folder_wants_the_app_folder_itself(tree):
    app = str(tree / "app")
    check_indexed_folder("f", app, app)
    check_indexed_folder("f", app + "/Func/..", app)
    check_indexed_folder("f", "", app)  # no folder named: the app folder is used
    with pytest.raises(FunctionLoadError, match="not the function app folder"):
        check_indexed_folder("f", os.path.join(app, "Func"), app)
