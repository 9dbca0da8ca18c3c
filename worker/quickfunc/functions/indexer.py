"""Index v2 apps: import function_app.py, find the FunctionApp, check each function on its own.

One broken function is reported by name; the others still index and run.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..bindings import deferred
from ..bindings.convert import BindingSpec
from .importer import UserImportError, import_user_module, relative
from .registry import FunctionInfo, FunctionLoadError
from .signature import build_function_info

SCRIPT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*\.py$")
#: function names the Functions host accepts (it rejects the others, and 'host')
_FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
#: a route parameter: `{name}`, `{*name}`, `{name:int?}`, `{name=default}`
_ROUTE_PARAMETER = re.compile(r"\{(\*{0,2})[^}:=?*]*([^}]*)\}")
_DIRECTIONS = {0: "in", 1: "out", 2: "inout"}


@dataclass(frozen=True)
class RetryPolicy:
    """A function's `@app.retry(...)` setting, checked; intervals in seconds."""

    strategy: str  # "fixed_delay" or "exponential_backoff"
    max_retry_count: int
    delay_interval: float = 0.0
    minimum_interval: float = 0.0
    maximum_interval: float = 0.0


@dataclass
class IndexedFunction:
    """One function found in the app, ready to load, or with the reason it cannot be."""

    function_id: str
    name: str
    python_name: str
    where: str
    bindings: dict[str, BindingSpec] = field(default_factory=dict)
    raw_bindings: list[str] = field(default_factory=list)
    retry: RetryPolicy | None = None
    info: FunctionInfo | None = None
    error: str | None = None
    #: http functions: (route as matched, methods or None for all, route as written)
    route: tuple[str, frozenset[str] | None, str] | None = None


@dataclass
class AppIndex:
    """What indexing the app's script found."""

    app_dir: str
    script_path: str
    #: the script exists (otherwise the host should read function.json folders)
    found: bool = True
    functions: list[IndexedFunction] = field(default_factory=list)
    #: the FunctionApp (or Asgi/WsgiFunctionApp) object the script defines
    app: Any = None
    #: things the author probably did not mean (an unregistered Blueprint, ...)
    warnings: list[str] = field(default_factory=list)
    #: the whole script failed (import error, no app, ...)
    error: str | None = None
    stack_trace: str = ""

    def get(self, function_id: str) -> IndexedFunction | None:
        return next((f for f in self.functions if f.function_id == function_id), None)


def function_id_for(name: str) -> str:
    """Deterministic across worker processes (several must agree on ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


def index_app(app_dir: str, script_name: str) -> AppIndex:
    """Import the script once and describe every function it registers."""
    app_dir = os.path.abspath(app_dir)
    script_path = os.path.join(app_dir, script_name)
    index = AppIndex(app_dir=app_dir, script_path=script_path)
    if not SCRIPT_NAME.match(script_name):
        index.error = (
            f"PYTHON_SCRIPT_FILE_NAME={script_name!r} is not a valid script file name: it must be a "
            f".py file name of letters, digits, '_' and '-' (for example function_app.py)"
        )
        return index
    if not os.path.isfile(script_path):
        index.found = False
        return index
    if sys.path[:1] != [app_dir]:  # this app's modules first, even after a reload from another app
        if app_dir in sys.path:
            sys.path.remove(app_dir)
        sys.path.insert(0, app_dir)
    module_name = script_name[: -len(".py")]
    cached = sys.modules.get(module_name)
    if cached is not None and os.path.realpath(getattr(cached, "__file__", "") or "") != os.path.realpath(script_path):
        del sys.modules[module_name]  # another app's script of the same name (placeholder, re-index)
    try:
        module = import_user_module(module_name, script_path, app_dir)
    except UserImportError as exc:
        index.error, index.stack_trace = str(exc), exc.stack_trace
        return index
    try:
        app = index.app = _find_app(module, script_name)
        index.functions = _describe_functions(app, app_dir, script_name)
        index.warnings = _unregistered_blueprints(module, app, script_name)
    except LookupError as exc:
        index.error = str(exc)
    except Exception as exc:  # the library's own checks (older versions validate all at once)
        index.error = f"indexing {script_name} failed: {type(exc).__name__}: {exc}"
    return index


def _find_app(module: Any, script_name: str) -> Any:
    import azure.functions as func

    # every top-level name counts, as in the platform's worker: an alias of the app fails too
    apps = [(n, v) for n, v in vars(module).items() if isinstance(v, func.FunctionRegister)]
    if not apps:
        raise LookupError(
            f"{script_name} defines no function app: create one at the top level of the file, "
            f"for example `app = func.FunctionApp()`"
        )
    if len(apps) > 1:
        names = ", ".join(sorted(n for n, _ in apps))
        same = " (all the same object: keep one name)" if len({id(v) for _, v in apps}) == 1 else ""
        raise LookupError(
            f"{script_name} defines more than one function app ({names}){same}; keep one FunctionApp and "
            f"attach the others' functions as Blueprints with app.register_functions(bp)"
        )
    return apps[0][1]


def _unregistered_blueprints(module: Any, app: Any, script_name: str) -> list[str]:
    import azure.functions as func

    registered = {id(b) for b in getattr(app, "_function_builders", ())}
    warnings = []
    for name, value in vars(module).items():
        if not isinstance(value, func.Blueprint):
            continue
        builders = getattr(value, "_function_builders", [])
        if builders and not any(id(b) in registered for b in builders):
            names = ", ".join(_safe_name(b._function) for b in builders)
            warnings.append(
                f"{script_name}: Blueprint '{name}' has {len(builders)} function(s) ({names}) that are not "
                f"part of the app; attach it with app.register_functions({name})"
            )
    return warnings


def _describe_functions(app: Any, app_dir: str, script_name: str) -> list[IndexedFunction]:
    builders = getattr(app, "_function_builders", None)
    if builders is None:  # a library without builders: all-or-nothing through its own API
        return [_describe(f, app_dir, script_name) for f in app.get_functions()]
    found = [_build_one(builder, app, app_dir, script_name) for builder in builders]
    _flag_duplicates(found)
    unique: dict[str, IndexedFunction] = {}
    for entry in found:  # one entry per name: the host knows functions by name and id
        unique.setdefault(entry.name, entry)
    return list(unique.values())


def _build_one(builder: Any, app: Any, app_dir: str, script_name: str) -> IndexedFunction:
    function = builder._function
    python_func = function.get_user_function()
    name = _safe_name(function)
    try:
        built = builder.build(getattr(app, "auth_level", None))
    except Exception as exc:
        where = _where(python_func, app_dir)
        return IndexedFunction(
            function_id_for(name),
            name,
            _pyname(python_func),
            where,
            error=f"cannot index the {name} function ({where}): {exc}",
        )
    return _describe(built, app_dir, script_name)


def _describe(function: Any, app_dir: str, script_name: str) -> IndexedFunction:
    python_func = function.get_user_function()
    name = function.get_function_name()
    where = _where(python_func, app_dir)
    entry = IndexedFunction(function_id_for(name), name, _pyname(python_func), where)
    try:
        entry.raw_bindings = function.get_raw_bindings()
        entry.bindings = {
            b.name: BindingSpec(
                name=b.name,
                type=b.type,
                direction=_DIRECTIONS.get(b.direction, "in"),
                data_type=int(b.data_type or 0),
            )
            for b in function.get_bindings()
        }
        _check_binding_names(function.get_bindings())
        entry.retry = _retry_of(function.get_settings_dict("retry_policy"))
        entry.route = _route_of(function)
        entry.info = build_function_info(
            function_id=entry.function_id,
            name=name,
            directory=os.path.dirname(_source_file(python_func) or os.path.join(app_dir, script_name)),
            script_file=_source_file(python_func) or os.path.join(app_dir, script_name),
            func_obj=python_func,
            bindings=entry.bindings,
            where=where,
            programming_model="v2",
        )
        entry.raw_bindings = deferred.raw_bindings(function, entry.info.inputs) or entry.raw_bindings
    except FunctionLoadError as exc:
        entry.error = str(exc)
    except (RetrySettingError, DuplicateBindingError) as exc:
        entry.error = f"cannot index the {name} function ({where}): {exc}"
    except Exception as exc:
        entry.error = f"cannot index the {name} function ({where}): {type(exc).__name__}: {exc}"
    if not entry.error and (not _FUNCTION_NAME.match(name) or name.lower() == "host"):
        entry.error = (
            f"cannot index the {name} function ({where}): the host only accepts function names that "
            f"start with a letter and have up to 128 letters, digits, '_' or '-' (and not 'host'); "
            f"choose another with @app.function_name(name=...)"
        )
    return entry


class DuplicateBindingError(ValueError):
    """Two bindings of one function share a name."""


def _check_binding_names(bindings: list[Any]) -> None:
    seen: dict[str, Any] = {}
    for binding in bindings:
        other = seen.setdefault(str(binding.name).lower(), binding)  # the host ignores case here
        if other is not binding:
            raise DuplicateBindingError(
                f"two bindings are named '{binding.name}' ({other.type} and {binding.type}); "
                f"give each decorator its own arg_name"
            )


class RetrySettingError(ValueError):
    """An `@app.retry(...)` value the host cannot use."""


_STRATEGIES = {
    "fixed_delay": ("delay_interval",),
    "exponential_backoff": ("minimum_interval", "maximum_interval"),
}
_TIME_SPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)")


def _retry_of(setting: dict[str, Any] | None) -> RetryPolicy | None:
    if not setting:
        return None
    strategy = str(setting.get("strategy") or "").strip().lower()
    if strategy not in _STRATEGIES:
        raise RetrySettingError(
            f"@app.retry(strategy={setting.get('strategy')!r}) is not a retry strategy; "
            f"use 'fixed_delay' or 'exponential_backoff'"
        )
    raw_count = setting.get("max_retry_count")
    try:
        count = int(str(raw_count).strip())
    except ValueError:
        count = -2
    if count < -1:
        raise RetrySettingError(
            f"@app.retry(max_retry_count={raw_count!r}) must be a whole number >= 0 (or -1 to retry forever)"
        )
    intervals: dict[str, float] = {}
    for key in _STRATEGIES[strategy]:
        value = setting.get(key)
        if value is None or str(value).strip() == "":
            raise RetrySettingError(f"@app.retry(strategy='{strategy}') needs {key}, for example {key}='00:00:10'")
        intervals[key] = _seconds(key, value)
    if strategy == "exponential_backoff" and intervals["minimum_interval"] > intervals["maximum_interval"]:
        raise RetrySettingError(
            f"@app.retry(minimum_interval={setting.get('minimum_interval')!r}) is longer than "
            f"maximum_interval={setting.get('maximum_interval')!r}"
        )
    return RetryPolicy(strategy, count, **intervals)


def _seconds(key: str, value: Any) -> float:
    """`HH:MM:SS` or `D.HH:MM:SS` (seconds may have a fraction) → seconds."""
    match = _TIME_SPAN.fullmatch(str(value).strip())
    if not match:
        raise RetrySettingError(
            f"@app.retry({key}={value!r}) is not a time span; write hours:minutes:seconds, for example '00:00:10'"
        )
    days = int(match.group(1) or 0)
    return days * 86400 + int(match.group(2)) * 3600 + int(match.group(3)) * 60 + float(match.group(4))


def _flag_duplicates(found: list[IndexedFunction]) -> None:
    by_name: dict[str, IndexedFunction] = {}
    by_route: dict[str, list[IndexedFunction]] = {}
    for entry in found:
        first = by_name.setdefault(entry.name, entry)
        if first is not entry:
            message = (
                f"the function name '{entry.name}' is used twice: by {first.python_name}() "
                f"({first.where}) and by {entry.python_name}() ({entry.where}); give one of them "
                f"another name with @app.function_name(name=...)"
            )
            first.error = first.error or message
            entry.error = entry.error or message
        if entry.route is not None:
            by_route.setdefault(entry.route[0], []).append(entry)
    for entries in by_route.values():
        for i, a in enumerate(entries):
            for b in entries[i + 1 :]:
                if a.name != b.name and _methods_overlap(a.route[1], b.route[1]):  # type: ignore[index]
                    route_a, route_b = a.route[2], b.route[2]  # type: ignore[index]
                    routes = (
                        f"the route '{route_a}' is served by"
                        if route_a == route_b
                        else f"the routes '{route_a}' and '{route_b}' match the same requests for"
                    )
                    message = (
                        f"{routes} two functions: {a.name} ({a.where}) and {b.name} ({b.where}); "
                        f"give them different routes or disjoint methods"
                    )
                    a.error = a.error or message
                    b.error = b.error or message


def _methods_overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    return a is None or b is None or bool(a & b)


def _route_of(function: Any) -> tuple[str, frozenset[str] | None, str] | None:
    trigger = function.get_trigger()
    if trigger is None or getattr(trigger, "type", None) != "httpTrigger":
        return None
    written = str(getattr(trigger, "route", None) or function.get_function_name())
    # routing ignores case, outer slashes and parameter names (`{id}` and `{key}` collide),
    # not constraints (`{id:int}` takes precedence over `{name}`)
    key = _ROUTE_PARAMETER.sub(r"{\1\2}", written.strip("/").lower())
    methods = getattr(trigger, "methods", None)
    method_set = frozenset(str(getattr(m, "value", m)).upper() for m in methods) if methods else None
    return key, method_set, written


def _safe_name(function: Any) -> str:
    try:
        return function.get_function_name() or _pyname(function.get_user_function())
    except Exception:
        return _pyname(function.get_user_function())


def _pyname(python_func: Callable[..., Any]) -> str:
    return getattr(python_func, "__name__", type(python_func).__name__)


def _source_file(python_func: Callable[..., Any]) -> str | None:
    try:
        return inspect.getsourcefile(inspect.unwrap(python_func))
    except (TypeError, OSError):
        return None


def _where(python_func: Callable[..., Any], app_dir: str) -> str:
    path = _source_file(python_func)
    if not path:
        return "<unknown file>"
    try:
        line = inspect.getsourcelines(inspect.unwrap(python_func))[1]
    except (OSError, TypeError):
        return relative(path, app_dir)
    return f"{relative(path, app_dir)}:{line}"
