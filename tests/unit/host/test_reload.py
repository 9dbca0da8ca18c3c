"""Reload on change, the parts without processes: which files a reload follows, the line naming the
change, --no-watch, and the settings a reload cannot apply to the running listener."""

from __future__ import annotations

import asyncio
import json
import os
from typing import cast

import pytest

from quickfunc.host.__main__ import parse_options
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig, HostOptions, load_config
from quickfunc.host.invoker import Invoker
from quickfunc.host.output import Console
from quickfunc.host.pool import WorkerPool
from quickfunc.host.reload import Reloader, describe_changes, keep_listener, listener_notes
from quickfunc.host.watch import AppFiles
from quickfunc.protos import pb
from tests.helpers import run


@pytest.mark.parametrize(
    "path",
    [
        "function_app.py",
        "blueprints/orders.py",
        "HttpTrigger/__init__.py",
        "HttpTrigger/function.json",
        "host.json",
        "local.settings.json",
    ],
)
def test_code_and_settings_files_are_followed(tmp_path, path):
    assert AppFiles(str(tmp_path)).follows(os.path.join(str(tmp_path), path))


@pytest.mark.parametrize(
    "path",
    [
        ".quickfunc/storage.db",
        ".quickfunc/module.py",
        "__pycache__/function_app.cpython-311.pyc",
        "pkg/__pycache__/mod.py",
        ".venv/lib/python3.11/site-packages/x.py",
        ".python_packages/lib/site-packages/y.py",
        ".git/hooks/pre-commit.py",
        "node_modules/a/b.py",
        "README.md",
        "requirements.txt",
        "function_app.py.saving",
        "sub/host.json",  # only the app's own settings files, at its root
        "sub/local.settings.json",
    ],
)
def test_the_store_caches_environments_and_other_files_are_not(tmp_path, path):
    assert not AppFiles(str(tmp_path)).follows(os.path.join(str(tmp_path), path))


def test_files_outside_the_app_are_not_followed(tmp_path):
    files = AppFiles(str(tmp_path / "app"))
    assert not files.follows(str(tmp_path / "other.py"))
    assert not files.follows(str(tmp_path / "app"))


def test_the_line_names_the_changed_files_and_counts_the_rest():
    assert describe_changes(["function_app.py"]) == "function_app.py changed"
    many = [f"m{i}.py" for i in range(8)]
    assert describe_changes(many) == "m0.py, m1.py, m2.py, m3.py, m4.py and 3 more changed"


def test_no_watch_turns_reloading_off():
    assert parse_options(["app"]).dev.watch is True
    assert parse_options(["app", "--no-watch"]).dev.watch is False


def _config(app, port=None, **values):
    settings = {"Values": values}
    if port is not None:
        settings["Host"] = {"LocalHttpPort": port}
    (app / "local.settings.json").write_text(json.dumps(settings))
    return load_config(HostOptions(app_dir=str(app)), environ={})


def test_a_new_port_in_the_settings_needs_a_restart_and_the_listener_keeps_its_own(tmp_path):
    old = _config(tmp_path, 7071, GREETING="hi")
    new = _config(tmp_path, 7072, GREETING="bonjour")
    notes = listener_notes(old, new)
    assert len(notes) == 1
    assert "127.0.0.1:7072" in notes[0] and "keeps listening on 127.0.0.1:7071" in notes[0]
    kept = keep_listener(old, new)
    assert kept.http_port == 7071
    assert kept.settings["GREETING"] == "bonjour"


def test_settings_that_apply_at_once_need_no_restart(tmp_path):
    old = _config(tmp_path, GREETING="hi")
    new = _config(tmp_path, GREETING="bonjour", FUNCTIONS_WORKER_PROCESS_COUNT="2")
    assert listener_notes(old, new) == []
    assert keep_listener(old, new).process_count == 2


def _catalog(*names: str) -> Catalog:
    return Catalog("v2", [FunctionSpec(name, f"id-{name}", pb.RpcFunctionMetadata(name=name), []) for name in names])


def test_functions_of_a_replaced_app_run_on_its_workers_until_they_stop_then_on_the_new_app():
    pools = [cast(WorkerPool, object()) for _ in range(3)]
    invoker = Invoker(pools[0], cast(Console, None), HostConfig(app_dir=".", settings={}, worker_env={}))
    first, second, third = _catalog("a", "gone"), _catalog("a"), _catalog("a")
    invoker.use(pools[1], invoker.config, first, second)
    assert invoker._placed(first.functions[0]) == (first.functions[0], pools[0])
    assert invoker._placed(second.functions[0]) == (second.functions[0], pools[1])
    invoker.use(pools[2], invoker.config, second, third)  # a second reload before the first drained
    invoker.forget(pools[0])
    assert invoker._placed(first.functions[0]) == (third.functions[0], pools[2])  # by name, on the new app
    assert invoker._placed(first.functions[1]) == (first.functions[1], pools[2])  # no longer exists: fails there
    assert invoker._placed(second.functions[0]) == (second.functions[0], pools[1])  # still draining
    invoker.forget(pools[1])
    assert invoker._placed(second.functions[0]) == (third.functions[0], pools[2])
    assert invoker._placed(first.functions[0]) == (first.functions[0], pools[2])  # let go of: taken as it is


class _Lines:
    """A console that keeps its lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.new = asyncio.Event()

    def _add(self, text: str) -> None:
        self.lines.append(text)
        self.new.set()

    info = warning = error = _add


async def _wait_for(console: _Lines, text: str, count: int) -> None:
    for _ in range(200):  # bounded: 200 lines or 30 s
        if sum(text in line for line in console.lines) >= count:
            return
        console.new.clear()
        await asyncio.wait_for(console.new.wait(), 30)
    raise AssertionError(console.lines)


def test_an_unexpected_error_fails_one_reload_and_watching_goes_on(tmp_path):
    def broken_pool(config: HostConfig) -> WorkerPool:
        raise RuntimeError("a bug")

    async def scenario() -> None:
        console = _Lines()
        config = HostConfig(app_dir=str(tmp_path), settings={}, worker_env={})
        reloader = Reloader(config, None, cast(Console, console), broken_pool, switch=None)  # type: ignore[arg-type]
        reloader.start()
        reloader.serving()
        try:
            for count in (1, 2):
                await asyncio.sleep(0.3)  # the watcher is set up on the loop's next turns
                (tmp_path / "function_app.py").write_text(f"# edit {count}\n")
                await _wait_for(console, "Reload failed: RuntimeError('a bug')", count)
        finally:
            await reloader.stop()
        assert "function_app.py changed: reloading the app" in console.lines

    run(scenario(), timeout=90)
