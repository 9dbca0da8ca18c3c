"""Every setting of the local host, read in one place: command line, environment, host.json
and local.settings.json, with each default written once (below)."""
from __future__ import annotations

import os
import re
import sys
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, Mapping

from quickfunc.host.jsonfile import JsonFile, SettingsFileError, get_ci, read_json_file
from quickfunc.host.setting_values import canonical_level, level_number, parse_size, parse_timespan

__all__ = ["ConfigError", "SettingsFileError", "HostOptions", "KeySettings", "HostConfig", "load_config"]

# ---- defaults (the only place they are written) -------------------------------------------
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 7071
DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_PROCESS_COUNT = 1
MAX_PROCESS_COUNT = 10  # the Functions host's limit
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024  # the Functions host's default request body limit
DEFAULT_MAX_HEADER_SIZE = 16 * 1024  # one header line (name + value)
DEFAULT_MAX_URL_SIZE = 8 * 1024  # the request line
DEFAULT_MAX_HEADERS = 100
DEFAULT_FUNCTION_TIMEOUT = 30 * 60.0  # seconds; host.json functionTimeout overrides
DEFAULT_DRAIN_TIMEOUT = 30.0  # seconds in-flight work may take to finish at shutdown
DEFAULT_WORKER_LOG_LEVEL = "Warning"  # worker System logs shown from this level up
DEFAULT_LOG_LEVEL = "Information"  # function logs shown from this level up
DEFAULT_TERMINATE_GRACE = 5.0  # WorkerTerminate grace period, as the host sends it
DEFAULT_WORKER_START_TIMEOUT = 60.0  # StartStream + init + load, per worker

# environment variables of the local host itself
ENV_HOST = "QUICKFUNC_HOST"
ENV_PORT = "QUICKFUNC_PORT"
ENV_APP_DIR = "AzureWebJobsScriptRoot"
ENV_PYTHON = "languageWorkers__python__defaultExecutablePath"
# app settings the host reads
SETTING_PROCESS_COUNT = "FUNCTIONS_WORKER_PROCESS_COUNT"
SETTING_RUNTIME = "FUNCTIONS_WORKER_RUNTIME"
SETTING_HOST_KEY = "FUNCTIONS_HOST_KEY"
SETTING_ADMIN_KEY = "FUNCTIONS_ADMIN_KEY"
SETTING_FUNCTION_KEY_PREFIX = "FUNCTIONS_KEY_"
SETTING_TIME_ZONE = "WEBSITE_TIME_ZONE"
_DISABLED = re.compile(r"^AzureWebJobs\.(.+)\.Disabled$", re.IGNORECASE)
_TRUE = {"1", "true", "t", "yes", "y"}


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which one and how to fix it."""


@dataclass
class HostOptions:
    """What the command line said (None = not given)."""

    app_dir: str | None = None
    host: str | None = None
    port: int | None = None
    enable_auth: bool = False
    max_body_size: str | None = None
    max_header_size: str | None = None
    worker_log_level: str | None = None
    log_level: str | None = None
    drain_timeout: float | None = None
    python: str | None = None
    color: bool | None = None


@dataclass(frozen=True)
class KeySettings:
    """Keys given in the settings (missing ones are generated at start when auth is on)."""

    host_key: str = ""
    admin_key: str = ""
    #: lower-cased function name -> key
    function_keys: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostConfig:
    """The local host's configuration, complete and validated."""

    app_dir: str
    settings: Mapping[str, str]
    worker_env: Mapping[str, str]
    route_prefix: str = DEFAULT_ROUTE_PREFIX
    log_levels: Mapping[str, str] = field(default_factory=dict)
    function_timeout: float | None = DEFAULT_FUNCTION_TIMEOUT
    process_count: int = DEFAULT_PROCESS_COUNT
    http_host: str = DEFAULT_HTTP_HOST
    http_port: int = DEFAULT_HTTP_PORT
    enable_auth: bool = False
    keys: KeySettings = field(default_factory=KeySettings)
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE
    max_url_size: int = DEFAULT_MAX_URL_SIZE
    max_headers: int = DEFAULT_MAX_HEADERS
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    terminate_grace: float = DEFAULT_TERMINATE_GRACE
    worker_start_timeout: float = DEFAULT_WORKER_START_TIMEOUT
    worker_log_level: str = DEFAULT_WORKER_LOG_LEVEL
    python: str = field(default_factory=lambda: sys.executable)
    color: bool | None = None
    time_zone: str = "UTC"
    disabled: frozenset[str] = frozenset()

    def function_log_level(self, function_name: str) -> int:
        """Lowest level of a function's logs to show (host.json logging.logLevel categories)."""
        levels = self.log_levels
        for category in (f"function.{function_name}.user", f"function.{function_name}",
                         "function", "default"):
            name = levels.get(category.lower())
            if name:
                return level_number(name)
        return level_number(DEFAULT_LOG_LEVEL)

    def is_disabled(self, function_name: str) -> bool:
        return function_name.lower() in self.disabled


# ---- host.json --------------------------------------------------------------------------------


@dataclass
class _HostJson:
    route_prefix: str = DEFAULT_ROUTE_PREFIX
    log_levels: dict[str, str] = field(default_factory=dict)
    function_timeout: float | None = DEFAULT_FUNCTION_TIMEOUT


def _read_host_json(app_dir: str) -> _HostJson:
    path = os.path.join(app_dir, "host.json")
    result = _HostJson()
    if not os.path.isfile(path):
        return result
    doc = read_json_file(path)
    data = doc.data
    version = get_ci(data, "version")
    if version is not None and (not isinstance(version, str) or not version.startswith("2")):
        raise doc.error("version", f"must be \"2.0\" (got {version!r})")
    http = get_ci(_section(doc, data, "extensions"), "http")
    if http is not None:
        if not isinstance(http, dict):
            raise doc.error("extensions.http", "must be a JSON object")
        prefix = get_ci(http, "routePrefix")
        if prefix is not None:
            if not isinstance(prefix, str):
                raise doc.error("extensions.http.routePrefix",
                                f"must be a string (got {prefix!r}); use \"\" for no prefix")
            result.route_prefix = prefix.strip("/")
    log_level = get_ci(_section(doc, data, "logging"), "logLevel")
    if log_level is not None:
        if not isinstance(log_level, dict):
            raise doc.error("logging.logLevel", "must be a JSON object of category: level")
        for category, level in log_level.items():
            key = f"logging.logLevel.{category}"
            if not isinstance(level, str):
                raise doc.error(key, f"must be a level name such as \"Information\" (got {level!r})")
            try:
                result.log_levels[category.lower()] = canonical_level(level)
            except ValueError as exc:
                raise doc.error(key, str(exc)) from None
    timeout = get_ci(data, "functionTimeout")
    if timeout is not None:
        if not isinstance(timeout, str):
            raise doc.error("functionTimeout", f"must be a string like \"00:05:00\" (got {timeout!r})")
        if timeout.strip() in ("-1", "-00:00:01"):
            result.function_timeout = None
        else:
            try:
                result.function_timeout = parse_timespan(timeout)
            except ValueError as exc:
                raise doc.error("functionTimeout", str(exc)) from None
    return result


def _section(doc: JsonFile, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = get_ci(data, key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise doc.error(key, "must be a JSON object")
    return value


# ---- local.settings.json ----------------------------------------------------------------------


@dataclass
class _LocalSettings:
    values: dict[str, str] = field(default_factory=dict)
    http_port: int | None = None
    doc: JsonFile | None = None


def _read_local_settings(app_dir: str) -> _LocalSettings:
    path = os.path.join(app_dir, "local.settings.json")
    result = _LocalSettings()
    if not os.path.isfile(path):
        return result
    doc = read_json_file(path)
    result.doc = doc
    data = doc.data
    encrypted = get_ci(data, "IsEncrypted", False)
    if not isinstance(encrypted, bool):
        raise doc.error("IsEncrypted", f"must be true or false (got {encrypted!r})")
    if encrypted:
        raise doc.error("IsEncrypted", "the settings are encrypted (IsEncrypted: true), and the "
                        "local host cannot decrypt them. Run `func settings decrypt`, or set "
                        "\"IsEncrypted\": false and write the values in plain text")
    values = get_ci(data, "Values", {})
    if not isinstance(values, dict):
        raise doc.error("Values", "must be a JSON object of \"NAME\": \"value\" pairs")
    for name, value in values.items():
        key = f"Values.{name}"
        if not name:
            raise doc.error(key, "a setting name cannot be empty")
        if value is None:
            continue
        if isinstance(value, bool):
            result.values[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            result.values[name] = str(value)
        elif isinstance(value, str):
            result.values[name] = value
        else:
            raise doc.error(key, f"must be a string (got a JSON {type(value).__name__}); "
                            "settings become environment variables, so write it as text")
    host = get_ci(data, "Host", {})
    if not isinstance(host, dict):
        raise doc.error("Host", "must be a JSON object")
    port = get_ci(host, "LocalHttpPort")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise doc.error("Host.LocalHttpPort", f"must be a port number (got {port!r})")
        result.http_port = port
    return result


# ---- putting it together ----------------------------------------------------------------------


def _process_count(settings: Mapping[str, str], environ: Mapping[str, str],
                   local: _LocalSettings) -> int:
    raw = settings.get(SETTING_PROCESS_COUNT)
    if raw is None or raw.strip() == "":
        return DEFAULT_PROCESS_COUNT
    problem = (f"{SETTING_PROCESS_COUNT} must be a whole number from 1 to {MAX_PROCESS_COUNT} "
               f"(got {raw!r})")
    try:
        count = int(raw.strip())
    except ValueError:
        count = 0
    if 1 <= count <= MAX_PROCESS_COUNT:
        return count
    if SETTING_PROCESS_COUNT not in environ and local.doc is not None:
        raise local.doc.error(f"Values.{SETTING_PROCESS_COUNT}", problem)
    raise ConfigError(f"{problem}; it is set in the environment")


def _keys(settings: Mapping[str, str]) -> KeySettings:
    functions = {name[len(SETTING_FUNCTION_KEY_PREFIX):].lower(): value
                 for name, value in settings.items()
                 if name.upper().startswith(SETTING_FUNCTION_KEY_PREFIX) and value}
    return KeySettings(settings.get(SETTING_HOST_KEY, ""), settings.get(SETTING_ADMIN_KEY, ""),
                       functions)


def _package_root() -> str:
    """The source root that holds this ``quickfunc`` package, so the workers run the same code."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _worker_env(settings: Mapping[str, str], app_dir: str, python: str) -> dict[str, str]:
    """Inherited environment + app settings, plus what the launcher adds (protocol §4).

    process.worker_environment adds FUNCTIONS_WORKER_DIRECTORY, FUNCTIONS_APPLICATION_DIRECTORY,
    AzureWebJobsScriptRoot, FUNCTIONS_WORKER_RUNTIME and PYTHON_THREADPOOL_THREAD_COUNT.
    """
    env = dict(settings)
    paths = [_package_root()]
    packages = os.path.join(app_dir, ".python_packages", "lib", "site-packages")
    if os.path.isdir(packages):
        paths.append(packages)
    paths += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("AZURE_FUNCTIONS_ENVIRONMENT", "Development")
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        env.setdefault("FUNCTIONS_WORKER_RUNTIME_VERSION", f"{sys.version_info[0]}.{sys.version_info[1]}")
    return env


def _choose(cli: Any, env_value: str | None, file_value: Any, default: Any) -> Any:
    for value in (cli, env_value, file_value):
        if value is not None and value != "":
            return value
    return default


def load_config(options: HostOptions, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Validate everything; raise ConfigError / SettingsFileError with a message for the user."""
    environ = dict(os.environ if environ is None else environ)
    app_dir = options.app_dir or environ.get(ENV_APP_DIR) or os.getcwd()
    app_dir = os.path.abspath(app_dir)
    if not os.path.isdir(app_dir):
        raise ConfigError(f"the app folder {app_dir} does not exist")
    host_json = _read_host_json(app_dir)
    local = _read_local_settings(app_dir)
    settings = {**local.values, **environ}  # variables already in the environment win

    runtime = settings.get(SETTING_RUNTIME, "python")
    if runtime.strip().lower() not in ("python", ""):
        where = ("local.settings.json Values" if SETTING_RUNTIME not in environ else "the environment")
        raise ConfigError(f"{SETTING_RUNTIME} is {runtime!r} in {where}; this host runs Python "
                          "function apps only (set it to \"python\")")
    settings[SETTING_RUNTIME] = "python"

    try:
        port = int(_choose(options.port, environ.get(ENV_PORT), local.http_port, DEFAULT_HTTP_PORT))
    except ValueError:
        raise ConfigError(f"{ENV_PORT} must be a port number (got {environ.get(ENV_PORT)!r})") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"the HTTP port must be from 0 to 65535 (got {port})")
    sizes = {}
    for name, text, default in (("--max-body-size", options.max_body_size, DEFAULT_MAX_BODY_SIZE),
                                ("--max-header-size", options.max_header_size,
                                 DEFAULT_MAX_HEADER_SIZE)):
        try:
            sizes[name] = default if text is None else parse_size(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    levels = {}
    for name, text, default in (("--worker-log-level", options.worker_log_level,
                                 DEFAULT_WORKER_LOG_LEVEL),
                                ("--log-level", options.log_level, None)):
        try:
            levels[name] = default if text is None else canonical_level(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    log_levels = dict(host_json.log_levels)
    if levels["--log-level"]:
        log_levels = {"default": levels["--log-level"]}
    python = options.python or environ.get(ENV_PYTHON) or sys.executable
    color = options.color
    if color is None and environ.get("NO_COLOR"):
        color = False
    time_zone = settings.get(SETTING_TIME_ZONE) or "UTC"
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{SETTING_TIME_ZONE} is {time_zone!r}, which is not a time zone this "
                          "machine knows; use an IANA name such as \"Europe/London\"") from None
    disabled = frozenset(m.group(1).lower() for name, value in settings.items()
                         if (m := _DISABLED.match(name)) and value.strip().lower() in _TRUE)
    return HostConfig(
        app_dir=app_dir, settings=settings, worker_env=_worker_env(settings, app_dir, python),
        route_prefix=host_json.route_prefix, log_levels=log_levels,
        function_timeout=host_json.function_timeout,
        process_count=_process_count(settings, environ, local),
        http_host=_choose(options.host, environ.get(ENV_HOST), None, DEFAULT_HTTP_HOST),
        http_port=port, enable_auth=options.enable_auth, keys=_keys(settings),
        max_body_size=sizes["--max-body-size"], max_header_size=sizes["--max-header-size"],
        drain_timeout=(DEFAULT_DRAIN_TIMEOUT if options.drain_timeout is None
                       else max(0.0, options.drain_timeout)),
        worker_log_level=levels["--worker-log-level"], python=python, color=color,
        time_zone=time_zone, disabled=disabled)
