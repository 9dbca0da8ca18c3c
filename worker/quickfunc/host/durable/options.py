"""host.json ``extensions.durableTask``: the task hub name, how many orchestrator and activity
invocations run at once, and whether a start may replace a running instance; the defaults (10 per
processor, hub "TestHubName", NonRunningStates) are the extension's."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from quickfunc.host.jsonfile import get_ci, read_json_file

__all__ = ["DurableOptions", "read_durable_options"]

_PER_CORE = 10


@dataclass(frozen=True)
class DurableOptions:
    """What the local engine takes from ``extensions.durableTask``."""

    hub_name: str = "TestHubName"
    max_activities: int = _PER_CORE * (os.cpu_count() or 1)
    max_orchestrators: int = _PER_CORE * (os.cpu_count() or 1)
    #: overridableExistingInstanceStates "AnyState": starting an id that is running replaces it
    replace_running: bool = False


def _count(doc: Any, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise doc.error(f"extensions.durableTask.{key}", f"must be a whole number of 1 or more (got {value!r})")
    return value


def read_durable_options(app_dir: str) -> DurableOptions:
    """The durableTask section of the app's host.json over the defaults; SettingsFileError names
    the file, line and key at fault."""
    path = os.path.join(app_dir, "host.json")
    if not os.path.isfile(path):
        return DurableOptions()
    doc = read_json_file(path)
    extensions = get_ci(doc.data, "extensions") if isinstance(doc.data, dict) else None
    section = get_ci(extensions, "durableTask") if isinstance(extensions, dict) else None
    if section is None:
        return DurableOptions()
    if not isinstance(section, dict):
        raise doc.error("extensions.durableTask", "must be a JSON object")
    values: dict[str, Any] = {}
    hub = get_ci(section, "hubName")
    if hub is not None:
        if not isinstance(hub, str) or not hub.strip():
            raise doc.error("extensions.durableTask.hubName", f"must be a non-empty string (got {hub!r})")
        values["hub_name"] = hub.strip()
    for key, field in (
        ("maxConcurrentActivityFunctions", "max_activities"),
        ("maxConcurrentOrchestratorFunctions", "max_orchestrators"),
    ):
        value = get_ci(section, key)
        if value is not None:
            values[field] = _count(doc, key, value)
    states = get_ci(section, "overridableExistingInstanceStates")
    if states is not None:
        choice = str(states).lower() if isinstance(states, str) else ""
        if choice not in ("anystate", "nonrunningstates"):
            raise doc.error(
                "extensions.durableTask.overridableExistingInstanceStates",
                f'must be "NonRunningStates" or "AnyState" (got {states!r})',
            )
        values["replace_running"] = choice == "anystate"
    return DurableOptions(**values)
