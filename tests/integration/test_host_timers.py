"""Timer triggers in the local host: a schedule from an app setting firing every second,
runOnStartup with a TimeSpan schedule, and IsPastDue on the catch-up after an overrun."""

from __future__ import annotations

import re

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


def test_timers_fire_on_schedule_run_on_startup_and_report_past_due():
    with LocalHostProcess(app_path("host_timer")) as host:
        out = host.output()
        assert re.search(r"tick\s+timer: schedule \* \* \* \* \* \*", out)  # from %TICK_SCHEDULE%
        assert re.search(r"startup\s+timer: schedule 01:00:00, runOnStartup", out)
        assert host.wait_for_line(
            r"startup \([0-9a-f]{8}\) startup ran, status=.*'Last': "
            r"'0001-01-01T00:00:00'",
            5,
        )
        first = host.wait_for_line(r"tick \([0-9a-f]{8}\) tick past_due=False", 5)
        assert first, host.output()
        # every second: a second firing follows the first
        start = host.lines.index(first) + 1
        assert host.wait_for_line(r"tick \([0-9a-f]{8}\) tick past_due=False", 3, start=start)
        assert host.wait_for_line(r"Executed 'tick' \(Succeeded, .*\) Timer fired at ", 1)
        # "slow" runs 2.6 s on a 2 s schedule: its catch-up firing is past due
        assert host.wait_for_line(r"slow \([0-9a-f]{8}\) slow past_due=False", 5)
        assert host.wait_for_line(r"slow \([0-9a-f]{8}\) slow past_due=True", 8), host.output()
