"""Timer triggers: NCRONTAB (seconds first) and TimeSpan schedules, fired without overlap.

Each firing sends the TimerRequest JSON the host sends: Schedule, ScheduleStatus, IsPastDue.
"""

from __future__ import annotations

import asyncio
import json
import re
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol

from croniter import croniter

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.setting_values import parse_timespan

__all__ = [
    "ScheduleError",
    "Schedule",
    "CronSchedule",
    "IntervalSchedule",
    "parse_schedule",
    "timer_payload",
    "TimerService",
    "PAST_DUE_TOLERANCE",
]

#: a firing this late (seconds) after its scheduled time is reported with IsPastDue = true
PAST_DUE_TOLERANCE = 1.0
_SETTING_REF = re.compile(r"^%([^%]+)%$")
_MIN_TIME = "0001-01-01T00:00:00"


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message names the schedule and the problem."""


class Schedule(Protocol):
    text: str

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (aware datetimes)."""


@dataclass
class CronSchedule:
    """NCRONTAB ``sec min hour day month weekday`` (or the 5-field form without seconds)."""

    text: str
    expression: str  # croniter's form: seconds last
    zone: tzinfo

    def next_after(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.zone)
        return croniter(self.expression, local).get_next(datetime).astimezone(timezone.utc)


@dataclass
class IntervalSchedule:
    """A TimeSpan schedule ``hh:mm:ss``: every interval, counted from the last occurrence."""

    text: str
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


def parse_schedule(text: str, settings: Mapping[str, str], zone_name: str = "UTC") -> Schedule:
    """A schedule from a binding's ``schedule`` value; ``%NAME%`` reads the app setting NAME."""
    original = text
    m = _SETTING_REF.match(text.strip())
    if m:
        name = m.group(1)
        if name not in settings:
            raise ScheduleError(
                f"schedule {original!r} refers to the app setting {name}, "
                "which is not set (add it to local.settings.json Values)"
            )
        text = settings[name]
    text = text.strip()
    fields = text.split()
    if len(fields) in (5, 6):
        # NCRONTAB puts seconds first; croniter's six-field form puts them last
        expression = " ".join(fields[1:] + fields[:1]) if len(fields) == 6 else text
        if not croniter.is_valid(expression):
            raise ScheduleError(
                f"schedule {text!r} is not a valid NCRONTAB expression "
                "(six fields: second minute hour day month day-of-week, "
                'e.g. "0 */5 * * * *")'
            )
        return CronSchedule(text, expression, zoneinfo.ZoneInfo(zone_name) if zone_name != "UTC" else timezone.utc)
    try:
        seconds = parse_timespan(text)
    except ValueError:
        raise ScheduleError(
            f'schedule {text!r} is neither an NCRONTAB expression ("0 */5 * * * *") nor a time span ("00:05:00")'
        ) from None
    if seconds <= 0:
        raise ScheduleError(f"schedule {text!r}: the interval must be longer than zero")
    return IntervalSchedule(text, timedelta(seconds=seconds))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else _MIN_TIME


def timer_payload(last: datetime | None, next_: datetime, now: datetime, past_due: bool) -> str:
    """The TimerInfo JSON the host sends as the timer trigger's input."""
    return json.dumps(
        {
            "Schedule": {"AdjustForDST": True},
            "ScheduleStatus": {"Last": _iso(last), "Next": _iso(next_), "LastUpdated": _iso(now)},
            "IsPastDue": past_due,
        }
    )


Fire = Callable[[FunctionSpec, str, str], Awaitable[object]]
"""fire(function, timer JSON, reason) — runs one invocation and returns when it is done."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


class TimerService:
    """One task per timer function; a firing waits for the previous one (no overlap)."""

    def __init__(self, fire: Fire) -> None:
        self._fire = fire
        self._tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> asyncio.Event:
        """Set once the service stops: no new firings, no more waiting for retries."""
        return self._stopping

    def start(self, timers: list[tuple[FunctionSpec, Schedule, bool]]) -> None:
        """Start (function, schedule, runOnStartup) timers."""
        for spec, schedule, run_on_startup in timers:
            self._tasks.append(
                asyncio.create_task(self._run(spec, schedule, run_on_startup), name=f"timer-{spec.name}")
            )

    async def stop(self, timeout: float) -> None:
        """No new firings; wait up to ``timeout`` for running ones, then cancel them."""
        self._stopping.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=max(timeout, 0.01))
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _sleep_until(self, moment: datetime) -> bool:
        """Sleep until ``moment``; False if the service is stopping."""
        delay = (moment - _now()).total_seconds()
        if delay > 0:
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except asyncio.TimeoutError:
                pass
        return not self._stopping.is_set()

    async def _run(self, spec: FunctionSpec, schedule: Schedule, run_on_startup: bool) -> None:
        last: datetime | None = None
        if run_on_startup and not self._stopping.is_set():
            now = _now()
            await self._fire(spec, timer_payload(None, schedule.next_after(now), now, False), "runOnStartup")
            last = now
        scheduled = schedule.next_after(_now())
        catch_up = False
        while await self._sleep_until(scheduled):
            now = _now()
            past_due = catch_up or (now - scheduled).total_seconds() > PAST_DUE_TOLERANCE
            following = schedule.next_after(scheduled)
            await self._fire(
                spec,
                timer_payload(last, following, now, past_due),
                f"Timer fired at {now.isoformat(timespec='seconds')}" + (" (past due)" if past_due else ""),
            )
            last = scheduled
            finished = _now()
            # the run outlasted the interval: one catch-up firing (past due), then back on time
            catch_up = following <= finished and not past_due
            if following <= finished and past_due:
                following = schedule.next_after(finished)
            scheduled = following
