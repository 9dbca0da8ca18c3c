"""The worker's debugging settings, its breakpoint() without a debugger, and the error when debugpy
is missing (debugpy itself is started in tests/integration/test_host_debug.py)."""

from __future__ import annotations

import logging
import sys

import pytest

from quickfunc import debugging
from quickfunc.settings import Settings


@pytest.fixture
def default_hook(monkeypatch):
    """Whatever a test does to sys.breakpointhook is undone."""
    monkeypatch.setattr(sys, "breakpointhook", sys.__breakpointhook__)


def test_the_settings_the_host_passes():
    assert (Settings.from_env({}).debug_port, Settings.from_env({}).debug_wait) == (None, False)
    settings = Settings.from_env({"QUICKFUNC_DEBUG_PORT": "9091", "QUICKFUNC_DEBUG_WAIT": "1"})
    assert (settings.debug_port, settings.debug_wait) == (9091, True)
    bad = Settings.from_env({"QUICKFUNC_DEBUG_PORT": "99999"})
    assert bad.debug_port is None
    assert any("QUICKFUNC_DEBUG_PORT" in w for w in bad.warnings)


def test_breakpoint_without_a_debugger_says_where_and_goes_on(default_hook, caplog):
    debugging.setup({})
    assert sys.breakpointhook is debugging.no_debugger_hook

    def handler():
        breakpoint()  # noqa: T100 - the line the message names
        return "went on"

    line = handler.__code__.co_firstlineno + 1
    with caplog.at_level(logging.WARNING, logger="quickfunc"):
        assert handler() == "went on"
    messages = [r.getMessage() for r in caplog.records if r.name == "quickfunc"]
    assert len(messages) == 1
    assert f"breakpoint() at tests/unit/test_debugging.py:{line} in " in messages[0]
    assert "handler'" in messages[0]
    assert "no debugger is attached, so the function goes on" in messages[0]
    assert "--debug" in messages[0]


@pytest.mark.parametrize("value", ["0", "builtins.print"])
def test_pythonbreakpoint_set_by_the_user_is_left_alone(default_hook, value):
    debugging.setup({"PYTHONBREAKPOINT": value})
    assert sys.breakpointhook is sys.__breakpointhook__


def test_no_debugger_is_started_unless_asked(default_hook, monkeypatch):
    monkeypatch.setitem(sys.modules, "debugpy", None)  # importing it would fail
    debugging.setup({})  # not asked: debugpy is not imported at all


def test_debug_without_debugpy_says_how_to_install_it(default_hook, monkeypatch):
    monkeypatch.setitem(sys.modules, "debugpy", None)  # `import debugpy` raises ImportError
    with pytest.raises(debugging.DebuggerUnavailable) as caught:
        debugging.setup({"QUICKFUNC_DEBUG_PORT": "9091"})
    assert f"{sys.executable} -m pip install debugpy" in str(caught.value)
    assert "--debug needs debugpy" in str(caught.value)
