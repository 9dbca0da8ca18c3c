"""Timer schedules: NCRONTAB with seconds first, the 5-field form, TimeSpans, %SETTING%
references, time zones, and the TimerInfo JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.timers import (
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    TimerService,
    parse_schedule,
    timer_payload,
)
from quickfunc.protos import pb

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _next(text: str, after: datetime = T0, zone: str = "UTC", settings=None) -> datetime:
    return parse_schedule(text, settings or {}, zone).next_after(after)


def test_six_fields_put_seconds_first():
    assert _next("0 */5 * * * *") == T0 + timedelta(minutes=5)
    assert _next("30 * * * * *") == T0 + timedelta(seconds=30)
    assert _next("* * * * * *") == T0 + timedelta(seconds=1)
    assert _next("0 30 9 * * Mon-Fri") == datetime(2024, 3, 4, 9, 30, tzinfo=timezone.utc)


def test_five_fields_are_minute_resolution_cron():
    assert _next("*/10 * * * *") == T0 + timedelta(minutes=10)


def test_a_time_span_repeats_that_interval():
    schedule = parse_schedule("00:00:05", {})
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(T0) == T0 + timedelta(seconds=5)
    assert _next("1.00:00:00") == T0 + timedelta(days=1)


def test_a_setting_reference_is_resolved():
    schedule = parse_schedule("%MY_SCHEDULE%", {"MY_SCHEDULE": "0 0 * * * *"})
    assert isinstance(schedule, CronSchedule) and schedule.text == "0 0 * * * *"


def test_a_missing_setting_is_named():
    with pytest.raises(ScheduleError, match="app setting MISSING"):
        parse_schedule("%MISSING%", {})


@pytest.mark.parametrize("text", ["", "every minute", "0 0 * * * * * *", "61 * * * * *", "00:00:00", "25:00"])
def test_bad_schedules_are_refused_with_an_example(text):
    with pytest.raises(ScheduleError):
        parse_schedule(text, {})


def test_schedules_follow_the_time_zone():
    # 09:00 in Paris is 08:00 UTC in winter
    assert _next("0 0 9 * * *", zone="Europe/Paris") == datetime(2024, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_timer_payload_has_schedule_status_and_past_due():
    data = json.loads(timer_payload(None, T0, T0, True))
    assert data["IsPastDue"] is True
    assert data["Schedule"] == {"AdjustForDST": True}
    assert data["ScheduleStatus"]["Last"] == "0001-01-01T00:00:00"
    assert data["ScheduleStatus"]["Next"] == T0.isoformat()


def test_run_on_startup_fires_at_once_and_stop_ends_the_timer():
    fired: list[tuple[str, dict]] = []

    async def fire(spec, payload, reason):
        fired.append((reason, json.loads(payload)))

    async def scenario():
        service = TimerService(fire)
        spec = FunctionSpec("t", "id", pb.RpcFunctionMetadata(), [])
        service.start([(spec, parse_schedule("01:00:00", {}), True)])
        await asyncio.sleep(0.05)
        await asyncio.wait_for(service.stop(1.0), 5)

    asyncio.run(scenario())
    assert [reason for reason, _ in fired] == ["runOnStartup"]
    assert fired[0][1]["IsPastDue"] is False
