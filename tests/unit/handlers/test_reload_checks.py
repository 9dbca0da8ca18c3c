"""What an environment reload must pass before anything changes: variable names and values
the environment can take, an app folder that exists; one message lists the problems."""

from __future__ import annotations

import pytest

from quickfunc.handlers.reload_checks import check_app_folder, check_variables, describe, shown


@pytest.mark.parametrize(
    "variables, found",
    [
        ({"A=B": "x"}, "the variable name 'A=B' contains '='"),
        ({"A\0B": "x"}, r"the variable name 'A\x00B' contains a NUL byte"),
        ({"A": "line\0"}, "the value of 'A' contains a NUL byte"),
        ({"": "x"}, "a variable has an empty name"),
        ({"A": "ok", "B_\n": "ok"}, None),
    ],
)
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
