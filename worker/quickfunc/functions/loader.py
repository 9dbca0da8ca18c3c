"""Load v1 functions: import `scriptFile` as a module of the `__app__` package, find `entryPoint`."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .importer import UserImportError, import_user_module, relative
from .registry import FunctionLoadError

APP_PACKAGE = "__app__"
DEFAULT_SCRIPT = "__init__.py"
DEFAULT_ENTRY_POINT = "main"


@dataclass(frozen=True)
class V1Target:
    """Where a v1 function's code is, as the host described it."""

    name: str
    directory: str
    script_file: str
    entry_point: str

    @property
    def app_root(self) -> str:
        return os.path.dirname(os.path.abspath(self.directory.rstrip("/\\") or "."))


def load_entry_point(target: V1Target) -> tuple[Callable[..., Any], str]:
    """Import the script and return (the entry point, the script path); FunctionLoadError on failure."""
    app_root = target.app_root
    script = resolve_script(target, app_root)
    module_name = module_name_for(script, app_root, target.name)
    ensure_app_package(app_root)
    try:
        module = import_user_module(module_name, script, app_root)
    except UserImportError as exc:
        error = FunctionLoadError(target.name, relative(script, app_root), str(exc))
        error.stack_trace = exc.stack_trace  # type: ignore[attr-defined]
        raise error from None
    entry = target.entry_point or DEFAULT_ENTRY_POINT
    func_obj = getattr(module, entry, None)
    if func_obj is None or not callable(func_obj):
        raise FunctionLoadError(target.name, relative(script, app_root), _entry_point_message(module, entry, func_obj))
    return func_obj, script


def resolve_script(target: V1Target, app_root: str) -> str:
    """Absolute script path; refuses paths outside the app folder and non-.py files."""
    script = target.script_file or DEFAULT_SCRIPT
    if not os.path.isabs(script):
        script = os.path.join(target.directory, script)
    script = os.path.abspath(script)
    real_root = os.path.realpath(app_root)
    if os.path.commonpath([os.path.realpath(script), real_root]) != real_root:
        raise FunctionLoadError(
            target.name,
            "",
            f"scriptFile {target.script_file!r} is outside the function app folder {app_root}; "
            f"function code must live inside the app",
        )
    if not script.endswith(".py"):
        raise FunctionLoadError(
            target.name,
            relative(script, app_root),
            f"scriptFile must be a Python file ending in .py, got {os.path.basename(script)!r}",
        )
    if not os.path.isfile(script):
        raise FunctionLoadError(
            target.name,
            relative(script, app_root),
            f"the script file {relative(script, app_root)} does not exist",
        )
    return script


def module_name_for(script: str, app_root: str, function_name: str) -> str:
    """`__app__.<path.of.script>`, dropping a trailing `__init__`.

    Path parts need not be identifiers: the import system finds `http-trigger-dump-request`
    as it finds any folder (as the official worker does); only a `.` cannot be part of a name.
    """
    rel = os.path.relpath(script, app_root)[: -len(".py")]
    parts = rel.replace("\\", "/").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    bad = [p for p in parts if not p or "." in p]
    if bad:
        raise FunctionLoadError(
            function_name,
            relative(script, app_root),
            f"the path part {bad[0]!r} contains a '.', so the script cannot be imported as a "
            f"module (rename the folder or file without the '.')",
        )
    return ".".join([APP_PACKAGE, *parts])


def ensure_app_package(app_root: str) -> None:
    """Make `__app__` a namespace package whose search path includes `app_root`."""
    package = sys.modules.get(APP_PACKAGE)
    if package is None:
        spec = importlib.machinery.ModuleSpec(APP_PACKAGE, None, is_package=True)
        spec.submodule_search_locations = []
        package = importlib.util.module_from_spec(spec)
        sys.modules[APP_PACKAGE] = package
    path = package.__path__
    if app_root not in path:
        path.append(app_root)
    if app_root not in sys.path:
        sys.path.append(app_root)


def _entry_point_message(module: Any, entry: str, found: Any) -> str:
    if found is not None:
        return f"{entry} in {module.__name__} is a {type(found).__name__}, not a function"
    candidates = sorted(
        n
        for n, v in vars(module).items()
        if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
    )
    listed = f"; it defines: {', '.join(candidates)}" if candidates else ""
    return (
        f"the entry point {entry}() is not defined in the script{listed}. "
        f'Set "entryPoint" in function.json to the function to run'
    )
