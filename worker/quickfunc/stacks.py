"""What a thread is doing right now, read from its stack: the user's line, the module it is
importing, the `async def` function and invocation it runs, the import lock it waits for."""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from types import CodeType, FrameType

_WORKER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LIBRARY_DIRS = tuple(
    os.path.abspath(p) + os.sep
    for p in {sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib")}
    if p
)
_PACKAGE_MARKERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")
#: the worker frame holding the running invocation's `invocation_id` (invocation.invoke_async)
_INVOKE_CODE_NAMES = frozenset({"invoke_async"})
#: where importlib's module locks are taken
_BOOTSTRAP = "<frozen importlib._bootstrap>"


@dataclass(frozen=True)
class Where:
    """A thread's position, as far as its author can act on it."""

    #: the innermost frame of the app's own code, "file:line" (relative to the app folder)
    at: str | None = None
    #: the library call the app's code at `at` is in (the library frame right below it), "file:line"
    inside: str | None = None
    #: the outermost module of the app's own code being executed at import ("function_app.py")
    importing: str | None = None
    #: the loaded `async def` function on the stack, and the invocation running it
    function: str | None = None
    invocation_id: str | None = None
    #: the module whose import lock the thread waits for (another thread is importing it)
    waiting_for: str | None = None
    #: the app's frames, formatted like a traceback (most recent call last)
    stack: str = ""


def where_is(thread_id: int, functions: Mapping[CodeType, str] | None = None) -> Where | None:
    """Where thread `thread_id` is now; None when it has ended."""
    frame = sys._current_frames().get(thread_id)
    return None if frame is None else describe(frame, functions or {})


def describe(frame: FrameType | None, functions: Mapping[CodeType, str]) -> Where:
    """Walk from the innermost frame outwards and note what the author will recognise."""
    at = inside = importing = function = invocation_id = waiting_for = None
    user_frames: list[FrameType] = []
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if is_user_file(filename):
            user_frames.append(frame)
            if at is None:
                at = f"{short(filename)}:{frame.f_lineno}"
            if code.co_name == "<module>":
                importing = short(filename)  # outermost wins: the module whose import started it
        else:
            if at is None and not filename.startswith(("<", _WORKER_DIR)):
                inside = f"{short(filename)}:{frame.f_lineno}"  # ends as the call the app's code made
            if waiting_for is None and code.co_name == "acquire" and filename == _BOOTSTRAP:
                waiting_for = getattr(frame.f_locals.get("self"), "name", None)
        if function is None and code in functions:
            function = functions[code]
        if code.co_name in _INVOKE_CODE_NAMES and filename.startswith(_WORKER_DIR):
            invocation_id = frame.f_locals.get("invocation_id")
            break
        frame = frame.f_back
    stack = "".join(
        traceback.format_list(
            traceback.StackSummary.extract(((f, f.f_lineno) for f in reversed(user_frames)), lookup_lines=True)
        )
    )
    return Where(
        at=at,
        inside=inside,
        importing=importing,
        function=function,
        invocation_id=invocation_id,
        waiting_for=waiting_for,
        stack=stack,
    )


def is_user_file(filename: str) -> bool:
    """The app's own code: not the worker, the standard library, packages or frozen code."""
    if filename.startswith(("<", _WORKER_DIR)) or filename.startswith(_LIBRARY_DIRS):
        return False
    return not any(marker in filename for marker in _PACKAGE_MARKERS)


def short(path: str) -> str:
    """A path the author recognises: relative to the app folder (the working directory) when
    inside it, from the package onwards when installed, else as given."""
    cwd = os.getcwd() + os.sep
    if path.startswith(cwd):
        return path[len(cwd) :].replace(os.sep, "/")
    for marker in _PACKAGE_MARKERS:
        if marker in path:
            return path.split(marker, 1)[1].replace(os.sep, "/")
    for library in _LIBRARY_DIRS:
        if path.startswith(library):
            return path[len(library) :].replace(os.sep, "/")
    return path


def position(where: Where | None, now: bool = True) -> str:
    """`, now at utils.py:38 (in requests/api.py:59)`, or "" with none of the app on the stack."""
    if where is None or where.at is None:
        return ""
    inside = f" (in {where.inside})" if where.inside else ""
    return f", {'now ' if now else ''}at {where.at}{inside}"
