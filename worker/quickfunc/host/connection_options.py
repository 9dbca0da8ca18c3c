"""Limits on the local host's connections and worker restarts: their defaults, written here
once, and the checks of the options that set them."""

from __future__ import annotations

from typing import Any

from quickfunc.host.config_error import ConfigError

__all__ = ["connection_limit", "connection_options"]

DEFAULT_HEADER_TIMEOUT = 30.0  # a request head must arrive within this (Kestrel's default)
DEFAULT_IDLE_TIMEOUT = 130.0  # an idle keep-alive connection is closed after this (Kestrel's)
DEFAULT_RESTART_DELAY = 1.0  # first pause before retrying a worker that failed to (re)start
DEFAULT_RESTART_MAX_DELAY = 30.0  # the pause doubles up to this, and retries never stop
#: open files kept free beside the connections: one accept burst of the listen backlog (128,
#: accepted before any can be refused) and the host's own (gRPC, imports), plus per worker
FD_RESERVE = 256
FD_RESERVE_PER_WORKER = 16
MIN_CONNECTIONS = 16


def connection_limit(process_count: int) -> int:
    """The most HTTP connections the open-file limit allows, leaving room for the workers."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):  # Windows: no such limit on sockets
        return 1000
    if soft == getattr(resource, "RLIM_INFINITY", -1) or soft < 0:
        soft = 1 << 20
    return max(MIN_CONNECTIONS, soft - FD_RESERVE - FD_RESERVE_PER_WORKER * process_count)


def connection_options(options: Any, process_count: int) -> dict[str, Any]:
    """--header-timeout, --idle-timeout, --max-connections, --restart-delay, --restart-max-delay."""
    values: dict[str, Any] = {}
    for name, value, default in (
        ("header_timeout", options.header_timeout, DEFAULT_HEADER_TIMEOUT),
        ("idle_timeout", options.idle_timeout, DEFAULT_IDLE_TIMEOUT),
        ("restart_delay", options.restart_delay, DEFAULT_RESTART_DELAY),
        ("restart_max_delay", options.restart_max_delay, DEFAULT_RESTART_MAX_DELAY),
    ):
        if value is not None and not 0 < value < 1e6:
            raise ConfigError(f"--{name.replace('_', '-')} must be a number of seconds above 0 (got {value:g})")
        values[name] = default if value is None else float(value)
    if values["restart_max_delay"] < values["restart_delay"]:
        raise ConfigError(
            f"--restart-max-delay ({values['restart_max_delay']:g}) must not be "
            f"less than --restart-delay ({values['restart_delay']:g})"
        )
    most = connection_limit(process_count)
    if options.max_connections is not None and not 1 <= options.max_connections <= most:
        raise ConfigError(
            f"--max-connections must be from 1 to {most} (got "
            f"{options.max_connections}): the open-file limit (ulimit -n) leaves "
            "room for that many next to the workers"
        )
    values["max_connections"] = most if options.max_connections is None else options.max_connections
    return values
