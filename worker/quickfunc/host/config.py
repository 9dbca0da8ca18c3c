"""Every setting of the local host, read in one place: command line, environment, host.json
and local.settings.json, with each default written once (below)."""

from __future__ import annotations

import math
import os
import re
import sys
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from quickfunc.host.app_folder import resolve_app_path
from quickfunc.host.config_error import ConfigError
from quickfunc.host.connection_options import (
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_RESTART_DELAY,
    DEFAULT_RESTART_MAX_DELAY,
    FD_RESERVE,
    FD_RESERVE_PER_WORKER,
    MIN_CONNECTIONS,
    connection_limit,
    connection_options,
)
from quickfunc.host.cors import CorsError, CorsPolicy, parse_origins
from quickfunc.host.dev_options import DevOptions, check_dev_options
from quickfunc.host.host_json import read_host_json
from quickfunc.host.jsonfile import SettingsFileError
from quickfunc.host.local_settings import LocalSettings, read_local_settings
from quickfunc.host.queue_options import QueueOptions
from quickfunc.host.setting_values import canonical_level, level_number, parse_size
from quickfunc.host.worker_env import app_worker_env

__all__ = [
    "ConfigError",
    "SettingsFileError",
    "HostOptions",
    "KeySettings",
    "HostConfig",
    "load_config",
    "connection_limit",
    "DevOptions",
    "FD_RESERVE",
    "FD_RESERVE_PER_WORKER",
    "MIN_CONNECTIONS",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_RESTART_DELAY",
    "DEFAULT_RESTART_MAX_DELAY",
]

# ---- defaults (the only place they are written) -------------------------------------------
DEFAULT_HTTP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 7071
DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_PROCESS_COUNT = 1
MAX_PROCESS_COUNT = 10  # the Functions host's limit
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024  # the Functions host's default request body limit
#: request bodies the host holds at once (raised to --max-body-size if that is larger)
DEFAULT_MAX_BODY_MEMORY = 256 * 1024 * 1024
DEFAULT_BODY_WAIT_TIMEOUT = 30.0  # seconds a body may wait for room before its 503
DEFAULT_CONSOLE_BACKLOG = 1024 * 1024  # characters waiting for the console before lines drop
DEFAULT_MAX_HEADER_SIZE = 16 * 1024  # one header line (name + value)
DEFAULT_MAX_URL_SIZE = 8 * 1024  # the request line
DEFAULT_MAX_HEADERS = 100
DEFAULT_FUNCTION_TIMEOUT = 30 * 60.0  # seconds; host.json functionTimeout overrides
DEFAULT_DRAIN_TIMEOUT = 30.0  # seconds in-flight work may take to finish at shutdown
DEFAULT_WORKER_LOG_LEVEL = "Warning"  # worker System logs shown from this level up
DEFAULT_LOG_LEVEL = "Information"  # function logs shown from this level up
DEFAULT_TERMINATE_GRACE = 5.0  # WorkerTerminate grace period, as the host sends it
DEFAULT_WORKER_START_TIMEOUT = 60.0  # StartStream + init + load, per worker
#: --storage: "auto" decides by each connection setting's value; "embedded" or "connection" force one
DEFAULT_STORAGE_MODE = "auto"
STORAGE_MODES = ("auto", "embedded", "connection")

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
SETTING_SCRIPT_FILE = "PYTHON_SCRIPT_FILE_NAME"  # a v2 app's script, read by the worker
SETTING_SHARED_MEMORY = "FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED"  # "true" or "1"
SETTING_SHARED_MEMORY_DIRS = "FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES"  # comma list
DEFAULT_SHARED_MEMORY_DIRS = ("/dev/shm",)
#: set by Core Tools (StartHostAction) to the address it listens on, e.g. localhost:7071
SETTING_HOSTNAME = "WEBSITE_HOSTNAME"
DEFAULT_SCRIPT_FILE = "function_app.py"
_DISABLED = re.compile(r"^AzureWebJobs\.(.+)\.Disabled$", re.IGNORECASE)
_TRUE = {"1", "true", "t", "yes", "y"}


@dataclass
class HostOptions:
    """What the command line said (None = not given)."""

    app_dir: str | None = None
    host: str | None = None
    port: int | None = None
    enable_auth: bool = False
    max_body_size: str | None = None
    max_body_memory: str | None = None
    body_wait_timeout: float | None = None
    max_header_size: str | None = None
    worker_log_level: str | None = None
    log_level: str | None = None
    drain_timeout: float | None = None
    queue_lease: float | None = None
    python: str | None = None
    color: bool | None = None
    header_timeout: float | None = None
    idle_timeout: float | None = None
    max_connections: int | None = None
    restart_delay: float | None = None
    restart_max_delay: float | None = None
    storage: str | None = None
    cors: str | None = None
    cors_credentials: bool = False
    #: --functions: serve only these
    functions: list[str] | None = None
    #: the dev loop: reload on change, debugging (dev_options.py)
    dev: DevOptions = field(default_factory=DevOptions)


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
    max_body_memory: int = DEFAULT_MAX_BODY_MEMORY
    body_wait_timeout: float = DEFAULT_BODY_WAIT_TIMEOUT
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE
    max_url_size: int = DEFAULT_MAX_URL_SIZE
    max_headers: int = DEFAULT_MAX_HEADERS
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    terminate_grace: float = DEFAULT_TERMINATE_GRACE
    worker_start_timeout: float = DEFAULT_WORKER_START_TIMEOUT
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    #: open HTTP connections at most (from the open-file limit unless --max-connections)
    max_connections: int = 1000
    restart_delay: float = DEFAULT_RESTART_DELAY
    restart_max_delay: float = DEFAULT_RESTART_MAX_DELAY
    worker_log_level: str = DEFAULT_WORKER_LOG_LEVEL
    python: str = field(default_factory=lambda: sys.executable)
    color: bool | None = None
    time_zone: str = "UTC"
    disabled: frozenset[str] = frozenset()
    #: how storage connections resolve (STORAGE_MODES)
    storage_mode: str = DEFAULT_STORAGE_MODE
    queues: QueueOptions = field(default_factory=QueueOptions)
    #: None: no CORS (Host.CORS / --cors not set)
    cors: CorsPolicy | None = None
    #: --functions: serve only these (empty: all)
    functions: tuple[str, ...] = ()
    dev: DevOptions = field(default_factory=DevOptions)
    #: base directories for shared-memory maps; empty: shared memory is off (the default)
    shared_memory_dirs: tuple[str, ...] = ()

    def function_log_level(self, function_name: str, user: bool = True) -> int:
        """Lowest level of a function's logs to show (host.json logging.logLevel categories);
        ``user=False``: of the host's lines about it (Executed), which Function.<name>.User leaves."""
        levels = self.log_levels
        for category in (
            f"function.{function_name}.user" if user else "",
            f"function.{function_name}",
            "function",
            "default",
        ):
            name = levels.get(category.lower())
            if name:
                return level_number(name)
        return level_number(DEFAULT_LOG_LEVEL)

    def is_disabled(self, function_name: str) -> bool:
        return function_name.lower() in self.disabled


# ---- putting it together ----------------------------------------------------------------------


def _process_count(settings: Mapping[str, str], environ: Mapping[str, str], local: LocalSettings) -> int:
    raw = settings.get(SETTING_PROCESS_COUNT)
    if raw is None or raw.strip() == "":
        return DEFAULT_PROCESS_COUNT
    problem = f"{SETTING_PROCESS_COUNT} must be a whole number from 1 to {MAX_PROCESS_COUNT} (got {raw!r})"
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
    functions = {
        name[len(SETTING_FUNCTION_KEY_PREFIX) :].lower(): value
        for name, value in settings.items()
        if name.upper().startswith(SETTING_FUNCTION_KEY_PREFIX) and value
    }
    return KeySettings(settings.get(SETTING_HOST_KEY, ""), settings.get(SETTING_ADMIN_KEY, ""), functions)


def _body_memory(text: str | None, max_body_size: int) -> int:
    """--max-body-memory: at least --max-body-size (or the largest body could never be taken);
    by default the larger of the two."""
    if text is None:
        return max(DEFAULT_MAX_BODY_MEMORY, max_body_size)
    try:
        size = parse_size(text)
    except ValueError as exc:
        raise ConfigError(f"--max-body-memory: {exc}") from None
    if size < max_body_size:
        raise ConfigError(
            f"--max-body-memory ({size} bytes) must be at least --max-body-size "
            f"({max_body_size} bytes): a body that large could never be taken"
        )
    return size


def _level(flag: str, text: str | None) -> str | None:
    """A log level option in its canonical spelling; None when not given."""
    try:
        return None if text is None else canonical_level(text)
    except ValueError as exc:
        raise ConfigError(f"{flag}: {exc}") from None


def _choose(cli: Any, env_value: str | None, file_value: Any, default: Any) -> Any:
    for value in (cli, env_value, file_value):
        if value is not None and value != "":
            return value
    return default


def _cors(options: HostOptions, local: LocalSettings) -> CorsPolicy | None:
    """--cors wins over Host.CORS; credentials are on when either --cors-credentials or
    Host.CORSCredentials says so (as in Core Tools)."""
    origins = parse_origins(options.cors or local.cors)
    if not origins:
        return None
    try:
        return CorsPolicy(origins, options.cors_credentials or local.cors_credentials)
    except CorsError as exc:
        raise ConfigError(str(exc)) from None


def _shared_memory_dirs(settings: Mapping[str, str]) -> tuple[str, ...]:
    if settings.get(SETTING_SHARED_MEMORY, "").strip().lower() not in ("true", "1"):
        return ()
    dirs = (d.strip() for d in settings.get(SETTING_SHARED_MEMORY_DIRS, "").split(","))
    return tuple(d for d in dirs if d) or DEFAULT_SHARED_MEMORY_DIRS


def script_file(settings: Mapping[str, str]) -> str:
    """The file name of a v2 app's script (PYTHON_SCRIPT_FILE_NAME, else function_app.py)."""
    return settings.get(SETTING_SCRIPT_FILE) or DEFAULT_SCRIPT_FILE


def load_config(options: HostOptions, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Validate everything; raise ConfigError / SettingsFileError with a message for the user."""
    environ = dict(os.environ if environ is None else environ)
    given = resolve_app_path(options.app_dir or environ.get(ENV_APP_DIR) or os.getcwd())
    app_dir = given.app_dir
    if not os.path.isdir(app_dir):
        what = "is not a folder" if os.path.exists(app_dir) else "does not exist"
        raise ConfigError(f"the app folder {app_dir} {what}")
    host_json = read_host_json(app_dir, DEFAULT_ROUTE_PREFIX, DEFAULT_FUNCTION_TIMEOUT)
    local = read_local_settings(app_dir)
    settings = {**local.values, **environ}  # variables already in the environment win
    if given.script and given.script != script_file(settings):  # the path of the script was given
        settings[SETTING_SCRIPT_FILE] = given.script

    runtime = settings.get(SETTING_RUNTIME, "python")
    if runtime.strip().lower() not in ("python", ""):
        where = "local.settings.json Values" if SETTING_RUNTIME not in environ else "the environment"
        raise ConfigError(
            f"{SETTING_RUNTIME} is {runtime!r} in {where}; this host runs Python "
            'function apps only (set it to "python")'
        )
    settings[SETTING_RUNTIME] = "python"

    try:
        port = int(_choose(options.port, environ.get(ENV_PORT), local.http_port, DEFAULT_HTTP_PORT))
    except ValueError:
        raise ConfigError(f"{ENV_PORT} must be a port number (got {environ.get(ENV_PORT)!r})") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"the HTTP port must be from 0 to 65535 (got {port})")
    if port:  # with port 0 the address is known only once bound, after the workers start
        settings.setdefault(SETTING_HOSTNAME, f"localhost:{port}")
    sizes = {}
    for name, text, default in (
        ("--max-body-size", options.max_body_size, DEFAULT_MAX_BODY_SIZE),
        ("--max-header-size", options.max_header_size, DEFAULT_MAX_HEADER_SIZE),
    ):
        try:
            sizes[name] = default if text is None else parse_size(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    body_memory = _body_memory(options.max_body_memory, sizes["--max-body-size"])
    worker_log_level = _level("--worker-log-level", options.worker_log_level) or DEFAULT_WORKER_LOG_LEVEL
    log_level = _level("--log-level", options.log_level)
    log_levels = dict(host_json.log_levels)
    if log_level:
        log_levels = {"default": log_level}
    python = options.python or environ.get(ENV_PYTHON) or sys.executable
    color = options.color
    if color is None and environ.get("NO_COLOR"):
        color = False
    time_zone = settings.get(SETTING_TIME_ZONE) or "UTC"
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{SETTING_TIME_ZONE} is {time_zone!r}, which is not a time zone this "
            'machine knows; use an IANA name such as "Europe/London"'
        ) from None
    disabled = frozenset(
        m.group(1).lower()
        for name, value in settings.items()
        if (m := _DISABLED.match(name)) and value.strip().lower() in _TRUE
    )
    process_count = _process_count(settings, environ, local)
    dev = check_dev_options(options.dev, process_count)
    if options.queue_lease is not None and not 1 <= options.queue_lease <= 7 * 86400:
        raise ConfigError(f"--queue-lease must be from 1 to 604800 seconds (got {options.queue_lease:g})")
    storage_mode = options.storage or DEFAULT_STORAGE_MODE
    if storage_mode not in STORAGE_MODES:
        raise ConfigError(f"--storage must be one of {', '.join(STORAGE_MODES)} (got {storage_mode!r})")
    return HostConfig(
        app_dir=app_dir,
        settings=settings,
        worker_env=app_worker_env(settings, app_dir, python),
        route_prefix=host_json.route_prefix,
        log_levels=log_levels,
        function_timeout=None if dev.debug else host_json.function_timeout,  # a breakpoint may hold it
        process_count=process_count,
        **connection_options(options, process_count),
        http_host=_choose(options.host, environ.get(ENV_HOST), None, DEFAULT_HTTP_HOST),
        http_port=port,
        enable_auth=options.enable_auth,
        keys=_keys(settings),
        max_body_size=sizes["--max-body-size"],
        max_header_size=sizes["--max-header-size"],
        max_body_memory=body_memory,
        body_wait_timeout=(
            DEFAULT_BODY_WAIT_TIMEOUT if options.body_wait_timeout is None else max(0.0, options.body_wait_timeout)
        ),
        drain_timeout=(DEFAULT_DRAIN_TIMEOUT if options.drain_timeout is None else max(0.0, options.drain_timeout)),
        worker_log_level=worker_log_level,
        python=python,
        color=color,
        time_zone=time_zone,
        disabled=disabled,
        storage_mode=storage_mode,
        queues=replace(host_json.queues, lease=options.queue_lease) if options.queue_lease else host_json.queues,
        cors=_cors(options, local),
        functions=tuple(dict.fromkeys(options.functions or ())),
        dev=dev,
        shared_memory_dirs=_shared_memory_dirs(settings),
        worker_start_timeout=math.inf if dev.debug_wait else DEFAULT_WORKER_START_TIMEOUT,  # waits for the IDE
    )
