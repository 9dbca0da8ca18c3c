"""Function retry policies on timers, as the Functions host applies them: a failed run is run
again up to max_retry_count times, each with a RetryContext (count so far, the maximum, the
previous error). Sources: protocol.md §3.3 (InvocationRequest.retry_context, RetryContext) and
§7.3 (retry_options from `@app.retry`); the Python developer guide's retry example, whose
function fails until retry_count reaches max_retry_count; function.json `retry` for v1 apps."""

from __future__ import annotations

import re

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

_ID = r"\([0-9a-f]{8}\)"


def _attempts(host: LocalHostProcess, name: str) -> list[str]:
    return [line for line in host.lines if re.search(rf"{name}_timer {_ID} {name} attempt", line)]


def test_app_retry_runs_a_failed_timer_again_with_the_retry_context():
    with LocalHostProcess(app_path("public_retry")) as host:
        # fixed_delay, max 2: attempts 0, 1, 2 one second apart; the last one succeeds
        assert host.wait_for_line(r"fixed_timer .*fixed attempt 2 of max 2", 15), host.output()
        assert host.wait_for_line(r"Executed 'fixed_timer' \(Succeeded, .*retry 2", 5), host.output()
        lines = _attempts(host, "fixed")
        assert [re.findall(r"attempt (\d) of max (\d)", x)[0] for x in lines] == [
            ("0", "2"),
            ("1", "2"),
            ("2", "2"),
        ]
        assert lines[0].endswith("last error ''")
        assert lines[1].endswith("fixed failed at attempt 0'"), lines[1]
        assert host.count(r"Executed 'fixed_timer' \(Failed") == 2
        assert host.wait_for_line(r"fixed_timer: failed; retry 1 of 2 in 1s", 1)
        # exponential_backoff, max 1: the first retry waits the minimum interval
        assert host.wait_for_line(r"backoff_timer .*backoff attempt 1 of max 1", 10), host.output()
        assert host.wait_for_line(r"Executed 'backoff_timer' \(Succeeded", 5), host.output()
        # no policy: one run, no RetryContext (it reads as zeros), no retry
        assert host.wait_for_line(r"Executed 'plain_timer' \(Failed", 5)
        assert [x.split(" attempt ")[1] for x in _attempts(host, "plain")] == ["0 of max 0, last error ''"]
        assert host.count(r"plain_timer: failed; retry") == 0


def test_a_v1_function_json_retry_section_is_applied():
    with LocalHostProcess(app_path("public_retry_v1")) as host:
        assert host.wait_for_line(r"RetriedTimer .*v1 attempt 1 of max 1", 15), host.output()
        assert host.wait_for_line(r"Executed 'RetriedTimer' \(Succeeded", 5), host.output()
        assert host.count(r"v1 attempt 0 of max 1") == 1
