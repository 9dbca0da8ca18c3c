"""Import user modules and turn every way that can fail into one precise, readable message."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType


class UserImportError(Exception):
    """A user module could not be imported; `str()` is written for its author."""

    def __init__(self, message: str, stack_trace: str = "") -> None:
        super().__init__(message)
        self.stack_trace = stack_trace


def import_user_module(module_name: str, script_path: str, app_root: str) -> ModuleType:
    """Import `module_name` (the code of `script_path`), or raise UserImportError."""
    importlib.invalidate_caches()
    try:
        return importlib.import_module(module_name)
    except SyntaxError as exc:
        raise UserImportError(_syntax_message(exc, app_root), _user_frames(exc, app_root)) from None
    except ModuleNotFoundError as exc:
        raise UserImportError(
            _missing_module_message(exc, script_path, app_root), _user_frames(exc, app_root)
        ) from None
    except BaseException as exc:  # the module's own code raised while importing
        if isinstance(exc, (KeyboardInterrupt,)):
            raise
        raise UserImportError(
            _raised_at_import_message(exc, script_path, app_root), _user_frames(exc, app_root)
        ) from None


def relative(path: str, app_root: str) -> str:
    """`path` relative to the app root when it lies inside it, else as given."""
    try:
        rel = os.path.relpath(path, app_root)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _syntax_message(exc: SyntaxError, app_root: str) -> str:
    where = relative(exc.filename or "<unknown file>", app_root)
    location = f"{where}:{exc.lineno}" if exc.lineno else where
    text = f"{type(exc).__name__} in {location}: {exc.msg}"
    if exc.text:
        line = exc.text.rstrip("\n")
        text += f"\n    {line.strip()}"
    return text


def _missing_module_message(exc: ModuleNotFoundError, script_path: str, app_root: str) -> str:
    frame = _last_user_frame(exc, app_root)
    by = f" (imported by {relative(frame.filename, app_root)}:{frame.lineno})" if frame else ""
    missing = exc.name or str(exc)
    hint = (
        "Is it listed in requirements.txt and installed into the Python environment the worker runs?"
        if "." not in missing or not missing.startswith("__app__")
        else "Check the folder name and that it sits inside the function app folder."
    )
    return f"ModuleNotFoundError: No module named '{missing}'{by}. {hint} sys.path starts with: {sys.path[:4]}"


def _raised_at_import_message(exc: BaseException, script_path: str, app_root: str) -> str:
    frame = _last_user_frame(exc, app_root)
    at = f" at {relative(frame.filename, app_root)}:{frame.lineno}" if frame else ""
    return f"{relative(script_path, app_root)} raised {type(exc).__name__} while being imported{at}: {_safe_str(exc)}"


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} whose str() failed>"


def _user_summary(exc: BaseException, app_root: str) -> list[traceback.FrameSummary]:
    root = os.path.abspath(app_root) + os.sep
    # "<frozen importlib._bootstrap>" and the like are no files: abspath() would put them
    # under the working directory, which is the app root
    return [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith("<") and os.path.abspath(f.filename).startswith(root)
    ]


def _last_user_frame(exc: BaseException, app_root: str) -> traceback.FrameSummary | None:
    frames = _user_summary(exc, app_root)
    return frames[-1] if frames else None


def _user_frames(exc: BaseException, app_root: str) -> str:
    frames = _user_summary(exc, app_root)
    return "".join(traceback.format_list(frames)) if frames else ""
