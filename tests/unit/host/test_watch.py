"""The reload watcher on a real folder with real file events: ignored folders are never watched (no
event of theirs reaches it), the app's own files are followed, new folders are watched from when they
appear (with the files already inside them), removed ones do not stop it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import quickfunc.host.watch as watch_module
from quickfunc.host.folder_watch import TooManyFolders, app_folders
from quickfunc.host.watch import IGNORED_DIRS, app_changes
from tests.helpers import run

#: the longest a change may take to be reported (a loaded 2-core machine)
WAIT = 30.0


class Watching:
    """``app_changes`` running on an app folder; the paths of its batches, gathered."""

    def __init__(self, app: Path) -> None:
        self.app = app
        self.stop = asyncio.Event()
        self.batches = app_changes(str(app), self.stop)
        self.reported: set[str] = set()
        self._next: asyncio.Future[list[str]] | None = None

    async def until(self, *paths: str, timeout: float = WAIT) -> set[str]:
        """Batches until every one of ``paths`` was reported; everything reported."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not set(paths) <= self.reported:
            left = deadline - loop.time()
            if left <= 0:
                missing = sorted(set(paths) - self.reported)
                raise AssertionError(f"never reported: {missing}; reported: {sorted(self.reported)}")
            if self._next is None:
                self._next = asyncio.ensure_future(self.batches.__anext__())
            done, _ = await asyncio.wait({self._next}, timeout=left)
            if done:
                task, self._next = self._next, None
                self.reported |= set(task.result())
        return self.reported

    async def ready(self) -> None:
        """Once the watch is in place: a probe file is saved until it is reported."""
        for attempt in range(60):  # bounded: 60 probes, 30 s
            (self.app / "probe.py").write_text(f"# {attempt}\n")
            try:
                await self.until("probe.py", timeout=0.5)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError("the watch never reported the probe file")
        self.reported.clear()

    async def close(self) -> None:
        self.stop.set()
        if self._next is not None:
            await asyncio.wait({self._next}, timeout=10)
            self._next.cancel()
            await asyncio.gather(self._next, return_exceptions=True)
        await asyncio.wait_for(self.batches.aclose(), 10)


def watching(app: Path, scenario: Callable[[Watching], Any]) -> Any:
    async def body() -> Any:
        watch = Watching(app)
        try:
            await watch.ready()
            return await scenario(watch)
        finally:
            await watch.close()

    return run(body(), timeout=120)


@pytest.fixture
def raw_paths(monkeypatch) -> Iterator[list[str]]:
    """Every path the native watcher reports, before any filtering."""
    import watchfiles

    real = watchfiles.awatch
    paths: list[str] = []

    def recording(*args: Any, watch_filter: Any = None, **options: Any) -> Any:
        def sieve(change: Any, path: str) -> bool:
            paths.append(path)
            return watch_filter(change, path) if watch_filter is not None else True

        return real(*args, watch_filter=sieve, **options)

    monkeypatch.setattr(watchfiles, "awatch", recording)
    yield paths


@pytest.fixture
def app(tmp_path) -> Path:
    folder = tmp_path / "app"
    (folder / ".quickfunc").mkdir(parents=True)
    (folder / ".venv" / "lib" / "site-packages" / "pkg").mkdir(parents=True)
    (folder / "blueprints" / "__pycache__").mkdir(parents=True)
    (folder / "function_app.py").write_text("# app\n")
    (folder / "host.json").write_text('{"version": "2.0"}')
    (folder / "blueprints" / "orders.py").write_text("# orders\n")
    return folder


def under_ignored(app: Path, path: str) -> bool:
    *folders, _name = os.path.relpath(path, app).split(os.sep)
    return any(folder in IGNORED_DIRS for folder in folders)


def test_writes_in_the_store_and_environments_never_reach_the_watcher(app, raw_paths):
    async def scenario(watch: Watching) -> set[str]:
        raw_paths.clear()
        store = app / ".quickfunc"
        for _ in range(200):  # as the embedded store takes queue messages
            with open(store / "storage.db", "ab") as f:
                f.write(b"page" * 64)
            with open(store / "storage.db-wal", "ab") as f:
                f.write(b"frame" * 64)
        venv = app / ".venv" / "lib" / "site-packages" / "pkg"
        for i in range(50):  # as pip installs
            (venv / f"mod{i}.py").write_text("X = 1\n")
        (app / "blueprints" / "__pycache__" / "orders.cpython-311.pyc").write_bytes(b"\0")
        (app / "function_app.py").write_text("# edited\n")
        return await watch.until("function_app.py")

    reported = watching(app, scenario)
    assert reported == {"function_app.py"}
    assert [path for path in raw_paths if under_ignored(app, path)] == []
    assert len(raw_paths) < 20, raw_paths  # the edit, not the store's writes


def test_the_app_folders_own_files_are_followed(app):
    async def scenario(watch: Watching) -> set[str]:
        (app / "function_app.py").write_text("# edited\n")
        (app / "host.json").write_text('{"version": "2.0", "logging": {}}')
        (app / "local.settings.json").write_text('{"Values": {}}')
        (app / "helpers.py").write_text("# a new module\n")
        (app / "notes.txt").write_text("not code")
        (app / "blueprints" / "host.json").write_text("{}")  # not the app's own
        (app / "blueprints" / "orders.py").write_text("# edited\n")
        return await watch.until(
            "function_app.py", "host.json", "local.settings.json", "helpers.py", "blueprints/orders.py"
        )

    assert watching(app, scenario) == {
        "function_app.py",
        "host.json",
        "local.settings.json",
        "helpers.py",
        "blueprints/orders.py",
    }


def test_a_folder_moved_in_with_code_inside_is_reported_and_watched(app, tmp_path):
    outside = tmp_path / "checkout"
    (outside / "newpkg").mkdir(parents=True)
    (outside / "newpkg" / "__init__.py").write_text("")
    (outside / "a" / "b").mkdir(parents=True)
    (outside / "a" / "b" / "c.py").write_text("# deep\n")

    async def scenario(watch: Watching) -> set[str]:
        os.rename(outside / "newpkg", app / "newpkg")  # as git checkout or mv: the files are there at once
        os.rename(outside / "a", app / "a")
        await watch.until("newpkg/__init__.py", "a/b/c.py")
        (app / "a" / "b" / "later.py").write_text("# written once the folder is watched\n")
        return await watch.until("a/b/later.py")

    assert watching(app, scenario) == {"newpkg/__init__.py", "a/b/c.py", "a/b/later.py"}


def test_code_written_in_a_new_folder_is_reported(app):
    async def scenario(watch: Watching) -> set[str]:
        (app / "newpkg").mkdir()
        (app / "marker.py").write_text("# the folder is seen by now\n")
        await watch.until("marker.py")
        (app / "newpkg" / "mod.py").write_text("# new\n")
        await watch.until("newpkg/mod.py")
        (app / "x" / "y").mkdir(parents=True)
        (app / "x" / "y" / "z.py").write_text("# at once\n")
        return await watch.until("x/y/z.py")

    assert watching(app, scenario) == {"marker.py", "newpkg/mod.py", "x/y/z.py"}


def test_a_removed_folder_does_not_stop_the_watch_and_can_come_back(app):
    async def scenario(watch: Watching) -> set[str]:
        (app / "blueprints" / "orders.py").unlink()
        (app / "blueprints" / "__pycache__").rmdir()
        (app / "blueprints").rmdir()
        await watch.until("blueprints/orders.py")
        (app / "function_app.py").write_text("# edited\n")
        await watch.until("function_app.py")
        (app / "blueprints").mkdir()
        (app / "blueprints" / "again.py").write_text("# back\n")
        return await watch.until("blueprints/again.py")

    assert watching(app, scenario) == {"blueprints/orders.py", "function_app.py", "blueprints/again.py"}


def test_changes_made_while_a_new_folder_is_being_watched_are_not_lost(app, monkeypatch):
    armed = asyncio.Event()
    real = watch_module.app_folders

    def walk(root: str, ignored: Any) -> list[str]:
        if not armed.is_set():
            return real(root, ignored)
        armed.clear()  # the walk before the new watch: changes now are seen by the old one only
        (app / "blueprints" / "during.py").write_text("# meanwhile\n")
        (app / "host.json").write_text('{"version": "2.0", "meanwhile": true}')
        folders = real(root, ignored)
        (app / "late").mkdir()  # a folder this walk missed, with code inside
        (app / "late" / "inner.py").write_text("# late\n")
        return folders

    monkeypatch.setattr(watch_module, "app_folders", walk)

    async def scenario(watch: Watching) -> set[str]:
        armed.set()
        (app / "newpkg").mkdir()
        await watch.until("blueprints/during.py", "host.json", "late/inner.py")
        (app / "late" / "again.py").write_text("# the missed folder is watched now\n")
        return await watch.until("late/again.py")

    assert watching(app, scenario) == {"blueprints/during.py", "host.json", "late/inner.py", "late/again.py"}


def test_the_walk_skips_ignored_folders_at_any_depth_and_ends_link_loops(app):
    (app / "blueprints" / "inner").mkdir()
    os.symlink(app / "blueprints", app / "blueprints" / "inner" / "loop")
    folders = app_folders(str(app), IGNORED_DIRS)
    assert sorted(os.path.relpath(f, app) for f in folders) == [".", "blueprints", "blueprints/inner"]


def test_too_many_folders_is_a_clear_error(app):
    for i in range(5):
        (app / f"data{i}").mkdir()
    with pytest.raises(TooManyFolders, match="more than 4 folders"):
        app_folders(str(app), IGNORED_DIRS, limit=4)
