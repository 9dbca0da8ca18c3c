"""What the local host shows when the app is up: the banner with each function's trigger, URL
or schedule and notes, and the timers' parsed schedules it lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quickfunc.host.app_folder import no_functions_note
from quickfunc.host.auth import KeyRing
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import SETTING_SCRIPT_FILE, HostConfig, script_file
from quickfunc.host.output import FunctionLine
from quickfunc.host.timers import Schedule, ScheduleError, parse_schedule
from quickfunc.host.unserved_bindings import unserved_notes

if TYPE_CHECKING:
    from quickfunc.host.http_front import HttpFront

__all__ = ["show_banner", "timer_schedules"]

#: what the banner says of the functions the durable engine runs
_DURABLE_DETAIL = {
    "orchestrationtrigger": "durable (started by a durable client)",
    "activitytrigger": "durable (called by orchestrators)",
    "entitytrigger": "durable entity (signalled or called)",
}


def timer_schedules(catalog: Catalog, config: HostConfig) -> list[tuple[FunctionSpec, Schedule, bool]]:
    """The app's timers with their parsed schedules; a schedule that cannot be used becomes the
    function's error."""
    timers = []
    for spec in catalog.functions:
        trigger = spec.trigger
        if not spec.is_timer or trigger is None or spec.disabled or not spec.runnable:
            continue
        try:
            schedule = parse_schedule(str(trigger.get("schedule") or ""), config.settings, config.time_zone)
        except ScheduleError as exc:
            spec.error = str(exc)
            continue
        run_on_startup = str(trigger.get("runOnStartup", False)).lower() == "true"
        timers.append((spec, schedule, run_on_startup))
    return timers


def show_banner(
    host: Any,  # app.LocalHost: its config, pool, storage, durable engine, console, base URL
    front: HttpFront,
    catalog: Catalog,
    keys: KeyRing | None,
    timers: list[tuple[FunctionSpec, Schedule, bool]],
) -> None:
    """The start-up banner: each function with its trigger, URL or schedule, and notes."""
    schedules = {spec.name: (schedule, startup) for spec, schedule, startup in timers}
    from quickfunc.host.deferred_bindings import deferred_notes

    lines = []
    for spec in catalog.functions:
        notes = unserved_notes(spec) + deferred_notes(spec, host.storage)
        if spec.unserved:  # Durable Functions
            notes = [f"not served: {spec.unserved}" if spec.is_http else spec.unserved]
        if spec.disabled:
            detail = "(disabled)"
        elif spec.is_http:
            detail = f"[{front.methods_for(spec)}] {front.url_for(spec)}"
        elif spec.name in schedules:
            schedule, startup = schedules[spec.name]
            detail = f"schedule {schedule.text}" + (", runOnStartup" if startup else "")
        elif spec.unserved:
            detail = "not served"
        elif spec.trigger_type.lower() in _DURABLE_DETAIL:
            detail = _DURABLE_DETAIL[spec.trigger_type.lower()]
        else:
            detail = f'POST {host.base_url}/admin/functions/{spec.name} {{"input": ...}}'
        trigger = spec.trigger_type.replace("Trigger", "") or "no trigger"
        lines.append(FunctionLine(spec.name, trigger, detail, spec.error, notes))
    for name in catalog.skipped:
        lines.append(FunctionLine(name, "skipped", "not loaded (not named in --functions)"))
    shown_keys = {}
    if keys is not None:
        shown_keys = {"master key (admin)": keys.master_key, "host key": keys.host_key}
        for name in keys.function_keys:
            shown_keys[f"{name} key"] = "(from FUNCTIONS_KEY_" + name.upper() + ")"
    version = next((s.runtime_version for s in host.pool.slots if s.runtime_version), "?")
    host.console.banner(
        host.config.app_dir,
        catalog.programming_model,
        host.config.python,
        version,
        host.pool.pids,
        lines,
        shown_keys,
        front.listening,
        [
            *(host.storage.banner_lines() if host.storage else []),
            *([host.durable.banner_line()] if host.durable else []),
            *host.config.dev.debug_lines(len(host.pool.slots)),
        ],
        [] if lines else no_functions_note(host.config.app_dir, script_file(host.config.settings), SETTING_SCRIPT_FILE),
    )
