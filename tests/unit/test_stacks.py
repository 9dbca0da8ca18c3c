"""Reading a thread's stack: the module it imports, the app's line, the import lock it waits for."""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types

import pytest

from quickfunc import stacks

GATE = "_quickfunc_test_gate"


@pytest.fixture
def stuck_module(tmp_path, monkeypatch):
    """A module in a temporary app folder whose import waits for an event (10 s at most)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    gate = types.ModuleType(GATE)
    gate.event = threading.Event()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, GATE, gate)
    (tmp_path / "helper.py").write_text(f"import {GATE}\n\n\ndef wait():\n    {GATE}.event.wait(10)\n")
    (tmp_path / "stuckmod.py").write_text("import helper\n\nhelper.wait()\n")
    threads = []

    def start() -> threading.Thread:
        thread = threading.Thread(target=importlib.import_module, args=("stuckmod",), daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start, gate.event
    gate.event.set()
    for thread in threads:
        thread.join(10)
    sys.modules.pop("stuckmod", None)
    sys.modules.pop("helper", None)


def _wait_for(thread: threading.Thread, test, timeout: float = 5.0) -> stacks.Where:
    """Sample the thread's position until ``test`` holds (bounded)."""
    event = threading.Event()
    where = None
    for _ in range(int(timeout / 0.01)):
        where = stacks.where_is(thread.ident or 0)
        if where is not None and test(where):
            return where
        event.wait(0.01)
    raise AssertionError(f"never reached: {where}")


def test_a_thread_stuck_importing_names_the_module_the_line_and_the_library_call(stuck_module):
    start, _ = stuck_module
    thread = start()
    where = _wait_for(thread, lambda w: w.at == "helper.py:5")
    assert where.importing == "stuckmod.py"
    assert where.inside is not None and where.inside.startswith("threading.py:")
    assert 'File "' in where.stack and "helper.py" in where.stack and "stuckmod.py" in where.stack
    assert stacks.position(where) == f", now at helper.py:5 (in {where.inside})"


def test_a_second_thread_importing_the_same_module_waits_for_its_lock(stuck_module):
    start, _ = stuck_module
    first = start()
    _wait_for(first, lambda w: w.at == "helper.py:5")
    second = start()
    where = _wait_for(second, lambda w: w.waiting_for is not None)
    assert where.waiting_for == "stuckmod"


def test_an_async_function_on_the_stack_is_named():
    here = sys._getframe()
    assert stacks.describe(here, {here.f_code: "MyFunction"}).function == "MyFunction"
    assert stacks.describe(here, {}).function is None


def test_the_worker_the_standard_library_and_installed_packages_are_not_the_app():
    assert not stacks.is_user_file(stacks.__file__)
    assert not stacks.is_user_file(threading.__file__)
    assert not stacks.is_user_file(pytest.__file__)
    assert not stacks.is_user_file("<frozen importlib._bootstrap>")
    assert stacks.is_user_file(os.path.join(os.getcwd(), "function_app.py"))


def test_a_thread_that_has_ended_is_nowhere():
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    assert stacks.where_is(thread.ident or 0) is None
