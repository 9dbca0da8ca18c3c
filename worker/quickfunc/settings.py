"""Every environment variable and app setting the worker reads, with its default, in one place.

Settings are read into an immutable `Settings` record at start-up and again on environment reload.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n"})

#: default v2 script file (protocol §11)
DEFAULT_SCRIPT_FILE = "function_app.py"
#: how long the worker waits for the host's gRPC server before giving up (seconds)
CONNECT_TIMEOUT = 5.0
#: the event loops the worker can run on (`PYTHON_WORKER_EVENT_LOOP`)
EVENT_LOOPS = ("auto", "uvloop", "asyncio")
#: how long an async function may hold the event loop, or an import run, before a report names it (seconds)
DEFAULT_BLOCKED_LOOP_WARNING = 1.0
#: how long the worker waits for WorkerInitRequest once its stream is open (seconds); the host
#: answers StartStream with it at once, and gives a new worker 60 s to open the stream at all
DEFAULT_INIT_TIMEOUT = 60.0
#: grace period when the worker is stopped without WorkerTerminate (SIGTERM), in seconds; the
#: host's WorkerTerminate gives 5 s, and `docker stop` sends SIGKILL 10 s after SIGTERM
DEFAULT_SHUTDOWN_GRACE = 5.0
#: while the block lasts, how often the report is repeated (seconds)
DEFAULT_BLOCKED_REPORT_INTERVAL = 10.0
#: how long loading one function (importing its module) or indexing a v2 app may take before the
#: worker answers Failure, naming the line the import is stuck at (seconds; 0 = never). Below the
#: host's shortest deadline for those answers (60 s), after which it restarts the whole worker.
DEFAULT_FUNCTION_LOAD_TIMEOUT = 50.0
#: base directories of shared-memory map files (`FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES`)
DEFAULT_SHARED_MEMORY_DIRS = ("/dev/shm",)


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return default


@dataclass(frozen=True)
class Settings:
    """The worker's settings, with the defaults the official worker documents."""

    #: max threads for sync functions; None = ThreadPoolExecutor's own default
    threadpool_thread_count: int | None = None
    #: root logger at DEBUG instead of INFO
    debug_logging: bool = False
    #: v2 script file name (`PYTHON_SCRIPT_FILE_NAME`)
    script_file_name: str = DEFAULT_SCRIPT_FILE
    #: index the v2 app during init / environment reload
    init_indexing: bool = False
    #: do not chdir to the new app dir on environment reload
    rollback_cwd: bool = False
    #: app root given by the host (`AzureWebJobsScriptRoot`)
    script_root: str | None = None
    #: seconds an async function may block the loop (or an import run) before a report (0 = off)
    blocked_loop_warning: float = DEFAULT_BLOCKED_LOOP_WARNING
    #: seconds between repeated reports while the block lasts
    blocked_report_interval: float = DEFAULT_BLOCKED_REPORT_INTERVAL
    #: seconds a function load or the v2 indexing may take before it fails (0 = no limit)
    function_load_timeout: float = DEFAULT_FUNCTION_LOAD_TIMEOUT
    #: "auto" (uvloop when installed), "uvloop" or "asyncio"
    event_loop: str = "auto"
    #: seconds to wait for WorkerInitRequest before giving up (0 = no limit)
    init_timeout: float = DEFAULT_INIT_TIMEOUT
    #: seconds in-flight invocations get to finish after SIGTERM (or an undecodable message)
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    #: start debugpy on 127.0.0.1:<this port> (`QUICKFUNC_DEBUG_PORT`, set by the local host's --debug)
    debug_port: int | None = None
    #: wait for the debugger to attach before connecting to the host (`QUICKFUNC_DEBUG_WAIT`)
    debug_wait: bool = False
    #: a span per invocation on the app's OpenTelemetry set-up (`PYTHON_ENABLE_OPENTELEMETRY`)
    opentelemetry: bool = False
    #: configure the Azure Monitor distro (`PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY`)
    azure_monitor: bool = False
    #: connection string for the distro (`APPLICATIONINSIGHTS_CONNECTION_STRING`; None: the distro's own default)
    appinsights_connection_string: str | None = None
    #: logger whose records the distro exports (`PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME`; "" = root)
    appinsights_logger_name: str = ""
    #: large outputs may go to shared memory (`FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED`)
    shared_memory_enabled: bool = False
    shared_memory_dirs: tuple[str, ...] = DEFAULT_SHARED_MEMORY_DIRS
    #: problems found while reading the settings, to be logged by the caller
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        problems: list[str] = []
        threads = _positive_int(env, "PYTHON_THREADPOOL_THREAD_COUNT", problems)
        event_loop = (env.get("PYTHON_WORKER_EVENT_LOOP") or "auto").strip().lower()
        if event_loop not in EVENT_LOOPS:
            problems.append(
                f"PYTHON_WORKER_EVENT_LOOP={event_loop!r} is not one of {', '.join(EVENT_LOOPS)}; using auto"
            )
            event_loop = "auto"
        blocked = _non_negative_float(
            env, "PYTHON_BLOCKED_LOOP_WARNING_SECONDS", DEFAULT_BLOCKED_LOOP_WARNING, problems
        )
        init_timeout = _non_negative_float(env, "PYTHON_WORKER_INIT_TIMEOUT_SECONDS", DEFAULT_INIT_TIMEOUT, problems)
        shutdown_grace = _non_negative_float(
            env, "PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE, problems
        )
        interval = _non_negative_float(
            env, "PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS", DEFAULT_BLOCKED_REPORT_INTERVAL, problems
        )
        if interval == 0:
            problems.append(
                "PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS must be above 0; using "
                f"{DEFAULT_BLOCKED_REPORT_INTERVAL} instead"
            )
            interval = DEFAULT_BLOCKED_REPORT_INTERVAL
        load_timeout = _non_negative_float(
            env, "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS", DEFAULT_FUNCTION_LOAD_TIMEOUT, problems
        )
        return cls(
            threadpool_thread_count=threads,
            debug_logging=_flag(env, "PYTHON_ENABLE_DEBUG_LOGGING"),
            script_file_name=env.get("PYTHON_SCRIPT_FILE_NAME") or DEFAULT_SCRIPT_FILE,
            init_indexing=_flag(env, "PYTHON_ENABLE_INIT_INDEXING"),
            rollback_cwd=_flag(env, "PYTHON_ROLLBACK_CWD_PATH"),
            script_root=env.get("AzureWebJobsScriptRoot") or None,
            blocked_loop_warning=blocked,
            blocked_report_interval=interval,
            function_load_timeout=load_timeout,
            event_loop=event_loop,
            init_timeout=init_timeout,
            shutdown_grace=shutdown_grace,
            debug_port=_port(env, "QUICKFUNC_DEBUG_PORT", problems),
            debug_wait=_flag(env, "QUICKFUNC_DEBUG_WAIT"),
            opentelemetry=_flag(env, "PYTHON_ENABLE_OPENTELEMETRY"),
            azure_monitor=_flag(env, "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"),
            appinsights_connection_string=env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or None,
            appinsights_logger_name=env.get("PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME") or "",
            shared_memory_enabled=_flag(env, "FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED"),
            shared_memory_dirs=tuple(
                d.strip() for d in (env.get("FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES") or "").split(",") if d.strip()
            )
            or DEFAULT_SHARED_MEMORY_DIRS,
            warnings=tuple(problems),
        )


def _positive_int(env: Mapping[str, str], name: str, problems: list[str]) -> int | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        problems.append(f"{name}={raw!r} is not a whole number >= 1; using the default instead")
        return None
    return value


def _port(env: Mapping[str, str], name: str, problems: list[str]) -> int | None:
    value = _positive_int(env, name, problems)
    if value is not None and value > 65535:
        problems.append(f"{name}={value} is not a port number (1 to 65535); the debugger is not started")
        return None
    return value


def _non_negative_float(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (0 <= value < math.inf):  # also NaN and infinity
        problems.append(f"{name}={raw!r} is not a number >= 0; using {default} instead")
        return default
    return value
