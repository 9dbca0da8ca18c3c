"""The app folder the user named (a folder, or a file in it), and what to say when it holds no
functions: what was looked for, and files that look like what was meant."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["AppPath", "resolve_app_path", "no_functions_note"]

#: at most this many entries of a folder are looked at for hints, and this much of a file read
_MAX_ENTRIES = 200
_MAX_READ = 256 * 1024


@dataclass
class AppPath:
    """The app folder, and the script a ``.py`` path named (None: the usual one)."""

    app_dir: str
    script: str | None = None


def resolve_app_path(path: str) -> AppPath:
    """A folder is the app folder. A file stands for its folder: a function.json or a function's
    script (a folder holding function.json) for the app folder above it, another ``.py`` file
    for its folder with that file as the app's script (a v2 app under another name)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        return AppPath(path)
    folder = os.path.dirname(path)
    name = os.path.basename(path)
    if name == "function.json" or os.path.isfile(os.path.join(folder, "function.json")):
        return AppPath(os.path.dirname(folder))
    if name.endswith(".py"):
        return AppPath(folder, name)
    return AppPath(folder)


def _entries(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as it:
            names = []
            for entry in it:
                names.append(entry.name)
                if len(names) >= _MAX_ENTRIES:
                    break
    except OSError:
        return []
    return sorted(names)


def _creates_app(path: str) -> bool:
    """A Python file that seems to create a FunctionApp (a v2 app's script)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(_MAX_READ)
    except OSError:
        return False
    return "FunctionApp(" in text


def no_functions_note(app_dir: str, script: str, script_setting: str) -> list[str]:
    """Lines saying what was looked for in ``app_dir`` and what there looks like the app."""
    if os.path.isfile(os.path.join(app_dir, script)):
        return [f"{script} defines no functions (decorate them with a trigger of its FunctionApp, e.g. @app.route())"]
    lines = [f"looked for {script} (a v2 app) and for folders holding a function.json (a v1 app) in {app_dir}"]
    if os.path.isfile(os.path.join(app_dir, "function.json")):
        lines.append(
            f"{app_dir} is itself a function folder (it holds function.json): "
            f"start the host in the folder above it, the app folder"
        )
    names = _entries(app_dir)
    for name in names:
        path = os.path.join(app_dir, name)
        if name.endswith(".py") and os.path.isfile(path) and _creates_app(path):
            lines.append(
                f"{name} creates a FunctionApp: rename it {script}, set {script_setting}={name} "
                f"in local.settings.json Values, or give its path to the host"
            )
    for name in names:
        path = os.path.join(app_dir, name)
        if os.path.isdir(path) and any(os.path.isfile(os.path.join(path, marker)) for marker in (script, "host.json")):
            lines.append(
                f"{name}/ holds {script if os.path.isfile(os.path.join(path, script)) else 'host.json'}: "
                f"is {path} the app folder?"
            )
    return lines
