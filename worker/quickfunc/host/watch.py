"""Which of the app's files a reload follows (its Python code, function.json, host.json and
local.settings.json), and batches of their changes as the ``watchfiles`` library reports them."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator
from typing import Any

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

    def __call__(self, change: Any, path: str) -> bool:
        return self.follows(path)


async def app_changes(app_dir: str, stop: asyncio.Event) -> AsyncGenerator[list[str], None]:
    """Each batch of changed app files (relative paths, sorted) until ``stop`` is set.

    A batch is reported once no change came for STEP_MS, or after DEBOUNCE_MS at most."""
    from watchfiles import awatch

    files = AppFiles(app_dir)
    watcher = awatch(
        files.app_dir,
        watch_filter=files,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stop,
        recursive=True,
        ignore_permission_denied=True,
    )
    async with contextlib.aclosing(watcher):
        async for changes in watcher:
            paths = sorted({rel for _change, path in changes if (rel := files.relative(path)) is not None})
            if paths:
                yield paths
