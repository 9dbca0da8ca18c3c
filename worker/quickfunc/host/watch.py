"""Which of the app's files a reload follows (its Python code, function.json, host.json and
local.settings.json), and batches of their changes; ignored folders are never watched."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator
from typing import Any

from quickfunc.host.folder_watch import FolderWatch, app_folders

__all__ = ["SETTINGS_FILES", "IGNORED_DIRS", "AppFiles", "app_changes"]

#: the app's settings files: a change re-reads the host's configuration
SETTINGS_FILES = ("host.json", "local.settings.json")
#: folders whose files never cause a reload: the host's own store, caches, environments, tools
IGNORED_DIRS = frozenset(
    {
        ".quickfunc",
        "__pycache__",
        ".venv",
        "venv",
        ".python_packages",
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".tox",
        ".idea",
        ".vscode",
    }
)
#: quiet time after the last change before a batch is reported, and the longest a batch gathers
STEP_MS = 50
DEBOUNCE_MS = 400
#: steps a replaced watch still takes to hand over the changes it holds (it gathers for DEBOUNCE_MS)
RETIRE_CHECKS = DEBOUNCE_MS // STEP_MS + 3
#: meanwhile, how long a batch of one watch waits for the other's, so that a change both saw is reported once
MERGE_MS = 3 * STEP_MS
#: attempts at setting up a watch while its folders go away (older watchfiles refuse a missing one)
MAX_WALKS = 10


class AppFiles:
    """The filter: True for a file of the app that a reload follows (paths relative to the app)."""

    def __init__(self, app_dir: str) -> None:
        self.app_dir = os.path.abspath(app_dir)

    def relative(self, path: str) -> str | None:
        """``path`` relative to the app folder, with ``/`` separators; None when outside it."""
        try:
            rel = os.path.relpath(os.path.abspath(path), self.app_dir)
        except ValueError:  # another drive (Windows)
            return None
        if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
            return None
        return rel.replace(os.sep, "/")

    def follows(self, path: str) -> bool:
        rel = self.relative(path)
        if rel is None:
            return False
        *folders, name = rel.split("/")
        if any(folder in IGNORED_DIRS for folder in folders):
            return False
        if name in SETTINGS_FILES:
            return not folders  # only the app's own, at its root
        return name == "function.json" or name.endswith(".py")

    def folder(self, path: str) -> bool:
        """True for a folder of the app (not the app's own) whose files may be followed."""
        rel = self.relative(path)
        if rel is None or any(folder in IGNORED_DIRS for folder in rel.split("/")):
            return False
        return os.path.isdir(path)

    def __call__(self, change: Any, path: str) -> bool:
        return self.follows(path)


async def app_changes(app_dir: str, stop: asyncio.Event) -> AsyncGenerator[list[str], None]:
    """Each batch of changed app files (relative paths, sorted) until ``stop`` is set.

    A batch is reported once no change came for STEP_MS, or after DEBOUNCE_MS at most. A folder
    that appears is watched from then on, and the followed files already inside it are reported."""
    watch = _AppWatch(AppFiles(app_dir), stop)
    try:
        await watch.begin()
        while True:
            paths = await watch.changes()
            if paths is None:
                return
            yield sorted(paths)
    finally:
        await watch.close()


class _AppWatch:
    """Every folder of the app but the ignored ones, each watched on its own; watched again, with
    the new ones, when folders appear (the replaced watch hands over the changes it still holds)."""

    def __init__(self, files: AppFiles, stop: asyncio.Event) -> None:
        from watchfiles import Change

        self.files = files
        self.stop = stop
        self.added = Change.added
        #: the folders the current watch covers, and new folders it does not
        self.folders: set[str] = set()
        self.appeared: set[str] = set()
        self.current: FolderWatch | None = None
        self.retiring: FolderWatch | None = None

    def sieve(self, change: Any, path: str) -> bool:
        """watchfiles' filter: the followed files, and the folders (one may be new)."""
        return self.files.follows(path) or self.files.folder(path)

    async def begin(self) -> None:
        self.current = await self._watch()

    async def changes(self) -> set[str] | None:
        """The next changed app files (relative paths); None once ``stop`` is set."""
        paths: set[str] = set()
        while not self.stop.is_set():
            if self.appeared and self.retiring is None:
                paths |= await self._rewatch()
            if paths:
                return paths
            tasks = {watch.next(): watch for watch in (self.current, self.retiring) if watch is not None}
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if pending and self.retiring is not None:  # both see a change made during the hand-over: one batch
                more, _ = await asyncio.wait(pending, timeout=MERGE_MS / 1000)
                done |= more
            for task in done:
                watch = tasks[task]
                batch = watch.take()
                if batch is None and watch is self.current:
                    return None  # stopped
                if batch is None:
                    self.retiring = None
                    await watch.close()
                    continue
                paths |= self._sort(batch, retired=watch is self.retiring)
        return None

    def _sort(self, batch: set[tuple[Any, str]], retired: bool) -> set[str]:
        """The followed files of a batch; new folders are noted in ``appeared`` (a folder made
        again is new too, unless the replaced watch saw it: the current one was set up after)."""
        paths = set()
        for change, path in batch:
            rel = self.files.relative(path)
            if rel is None:
                continue
            if self.files.follows(path):
                paths.add(rel)
            made = change == self.added and not retired
            if (made or path not in self.folders) and self.files.folder(path):
                self.appeared.add(path)
        return paths

    async def _rewatch(self) -> set[str]:
        """Watch again with the folders that appeared; the followed files already inside them."""
        roots, self.appeared = self.appeared, set()
        before = self.folders
        watch = await self._watch()
        old, self.current = self.current, watch
        if old is not None:
            old.retire(RETIRE_CHECKS)
            self.retiring = old
        fresh = [f for f in self.folders if f not in before or any(_within(f, root) for root in roots)]
        return _followed_in(fresh, self.files)

    async def _watch(self) -> FolderWatch:
        """A watch of the app's folders, in place (every change from then on is seen); folders
        that appeared while it was set up are noted in ``appeared``, for the next round."""
        for attempt in range(1, MAX_WALKS + 1):
            folders = app_folders(self.files.app_dir, IGNORED_DIRS)
            watch = FolderWatch(folders, self.sieve, self.stop, debounce=DEBOUNCE_MS, step=STEP_MS)
            try:
                await watch.start()
            except FileNotFoundError:  # a folder went away meanwhile (watchfiles before 1.0 says so)
                if attempt == MAX_WALKS:
                    raise
                continue
            self.folders = set(folders)
            self.appeared |= set(app_folders(self.files.app_dir, IGNORED_DIRS)).difference(folders)
            return watch
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def close(self) -> None:
        watches = [watch for watch in (self.current, self.retiring) if watch is not None]
        self.current = self.retiring = None
        await asyncio.gather(*(watch.close() for watch in watches), return_exceptions=True)


def _within(folder: str, root: str) -> bool:
    return folder == root or folder.startswith(root + os.sep)


def _followed_in(folders: list[str], files: AppFiles) -> set[str]:
    """The followed files directly inside ``folders`` (relative paths)."""
    paths = set()
    for folder in folders:
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:  # gone again, or unreadable
            continue
        for entry in entries:
            rel = files.relative(entry.path)
            if rel is not None and files.follows(entry.path) and _is_file(entry):
                paths.add(rel)
    return paths


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False
