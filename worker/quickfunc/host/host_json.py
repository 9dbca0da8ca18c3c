"""Read host.json: extensions.http.routePrefix, extensions.queues, logging.logLevel and
functionTimeout; errors name the file, line and key. The defaults come from config.py (written there once)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from quickfunc.host.jsonfile import JsonFile, get_ci, read_json_file
from quickfunc.host.queue_options import QueueOptions, parse_queue_options
from quickfunc.host.setting_values import canonical_level, parse_timespan

__all__ = ["HostJson", "read_host_json"]


@dataclass
class HostJson:
    """What host.json says, over the defaults it was read with."""

    route_prefix: str
    function_timeout: float | None  # None: no timeout ("-1")
    #: lower-cased category -> .NET level name
    log_levels: dict[str, str] = field(default_factory=dict)
    queues: QueueOptions = field(default_factory=QueueOptions)


def read_host_json(app_dir: str, route_prefix: str, function_timeout: float | None) -> HostJson:
    """The app's host.json over the given defaults; SettingsFileError names file, line and key."""
    path = os.path.join(app_dir, "host.json")
    result = HostJson(route_prefix, function_timeout)
    if not os.path.isfile(path):
        return result
    doc = read_json_file(path)
    data = doc.data
    version = get_ci(data, "version")
    if version is not None and (not isinstance(version, str) or not version.startswith("2")):
        raise doc.error("version", f'must be "2.0" (got {version!r})')
    queues = get_ci(_section(doc, data, "extensions"), "queues")
    if queues is not None:
        result.queues = parse_queue_options(doc, queues)
    http = get_ci(_section(doc, data, "extensions"), "http")
    if http is not None:
        if not isinstance(http, dict):
            raise doc.error("extensions.http", "must be a JSON object")
        prefix = get_ci(http, "routePrefix")
        if prefix is not None:
            if not isinstance(prefix, str):
                raise doc.error(
                    "extensions.http.routePrefix",
                    f'must be a string (got {prefix!r}); use "" for no prefix',
                )
            result.route_prefix = prefix.strip("/")
    log_level = get_ci(_section(doc, data, "logging"), "logLevel")
    if log_level is not None:
        if not isinstance(log_level, dict):
            raise doc.error("logging.logLevel", "must be a JSON object of category: level")
        for category, level in log_level.items():
            key = f"logging.logLevel.{category}"
            if not isinstance(level, str):
                raise doc.error(key, f'must be a level name such as "Information" (got {level!r})')
            try:
                result.log_levels[category.lower()] = canonical_level(level)
            except ValueError as exc:
                raise doc.error(key, str(exc)) from None
    timeout = get_ci(data, "functionTimeout")
    if timeout is not None:
        if not isinstance(timeout, str):
            raise doc.error("functionTimeout", f'must be a string like "00:05:00" (got {timeout!r})')
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
