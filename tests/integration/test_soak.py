"""The soak (scripts/soak.py) in short: 5,000 mixed invocations at concurrency 64, nothing lost.

The full run (100,000 invocations) is ``python scripts/soak.py``; this one runs the same script
as a subprocess, and also checks that its checks catch a worker that answers wrongly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import REPO_ROOT
from tests.integration.fakehost import FLOOR_WORKER

SOAK = os.path.join(REPO_ROOT, "scripts", "soak.py")


def _soak(tmp_path, *args: str, timeout: float = 150.0) -> tuple[int, dict, str]:
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, SOAK, "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    text = proc.stdout + proc.stderr
    report = json.loads(out.read_text()) if out.exists() else {}
    return proc.returncode, report, text


def test_5000_mixed_invocations_at_concurrency_64_lose_nothing(tmp_path):
    code, report, text = _soak(tmp_path, "--invocations", "5000", "--concurrency", "64", "--max-seconds", "90")
    assert code == 0, text
    assert report["ok"] is True
    assert report["answered"] == 5000
    assert report["lost"] == report["wrong_outcome"] == report["duplicate_or_late_answers"] == 0
    assert report["logs_received"] == report["logs_expected"] > 5000
    assert report["log_problems"] == 0
    # every kind of function in the mix really ran, cancels included
    assert set(report["by_function"]) == {
        "SyncEcho",
        "AsyncEcho",
        "SyncRaise",
        "AsyncRaise",
        "LogSync",
        "LogAsync",
        "CancelAsync",
        "CancelSync",
        "BlockingAsync",
    }
    assert report["by_function"]["CancelAsync"] > 100
    assert report["rss_growth_pct"] < 10
    assert report["max_threads"] <= 64 + 48
    assert report["exit_code"] == 0


def test_the_soak_fails_a_worker_that_answers_without_running_the_functions(tmp_path):
    # the floor answers every invocation at once with a canned success and sends no logs
    code, report, text = _soak(
        tmp_path, "--invocations", "300", "--concurrency", "8", "--worker-script", FLOOR_WORKER, "--max-seconds", "30"
    )
    assert code == 1, text
    assert report["ok"] is False
    assert report["wrong_outcome"] > 0
    assert report["logs_received"] < report["logs_expected"]
    assert report["log_problems"] > 0
    assert "soak: FAILED" in text
