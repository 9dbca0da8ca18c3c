"""The function app folder: the only place the worker runs user code from.

The host names the folder at init (or at an environment reload); load and metadata requests
may only point inside it. Paths are compared after resolving `..` and symlinks, so a folder or
file symlink that leads out of the app is refused like an absolute path elsewhere.
"""

from __future__ import annotations

import os

from .registry import FunctionLoadError


def app_folder(named: str | None) -> str:
    """The folder the host named, else the working directory (the host starts us in it)."""
    return os.path.abspath(named) if named else os.getcwd()


def _real(path: str) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):  # a NUL byte and the like: not a usable path
        return None


def is_inside(path: str, folder: str, *, allow_same: bool = False) -> bool:
    """`path` lies below `folder` (or is it, with allow_same) once `..` and symlinks are resolved."""
    real_path, real_folder = _real(path) if path else None, _real(folder)
    if real_path is None or real_folder is None:
        return False
    if real_path == real_folder:
        return allow_same
    try:
        return os.path.commonpath([real_path, real_folder]) == real_folder
    except ValueError:  # different drives
        return False


def check_function_folder(name: str, directory: str, script_file: str, folder: str) -> None:
    """A v1 function's folder and script must be inside the app folder; FunctionLoadError if not."""
    script = script_file if os.path.isabs(script_file) else os.path.join(directory, script_file or "")
    for what, path in (("folder", directory), ("script", script)):
        if not is_inside(path, folder):
            raise FunctionLoadError(
                name,
                "",
                (
                    f"its {what} {path!r} is outside the function app folder {folder}; the worker "
                    f"only loads code from inside the app folder"
                ),
            )


def same_folder(directory: str, folder: str) -> bool:
    """`directory` is `folder` itself, once `..` and symlinks are resolved."""
    real = _real(directory)
    return real is not None and real == _real(folder)


def check_indexed_folder(name: str, directory: str, folder: str) -> None:
    """A worker-indexed function must come from the app folder itself; FunctionLoadError if not."""
    if directory and not same_folder(directory, folder):
        raise FunctionLoadError(name, "", not_the_app_folder(directory, folder))


def not_the_app_folder(directory: str, folder: str) -> str:
    return (
        f"the request names the folder {directory!r}, which is not the function app folder "
        f"{folder}; the worker only indexes and loads the app in that folder"
    )
