"""The hostile soak (scripts/soak_hostile.py) in short: 3,000 requests through the local host with
two workers, one worker SIGKILLed, three slow clients, spins and log bursts.

The full run (100,000 requests) is ``python scripts/soak_hostile.py``; this one runs the same
script once as a subprocess and checks its report from several sides.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT

SOAK = os.path.join(REPO_ROOT, "scripts", "soak_hostile.py")
REQUESTS = 3000
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def soak(tmp_path_factory) -> tuple[int, dict, str]:
    out = tmp_path_factory.mktemp("hostile") / "report.json"
    args = [
        "--requests",
        str(REQUESTS),
        "--concurrency",
        "16",
        "--max-seconds",
        "150",
        "--kill-every",
        "3",
        "--kills",
        "1",
        "--slow-clients",
        "3",
        "--slow-wave",
        "3",
        "--header-timeout",
        "3",
        "--slow-limit",
        "15",
        "--spin-every",
        "1500",
        "--burst-every",
        "300",
        "--burst-lines",
        "2000",
        "--worker-warmup",
        "300",
        "--worker-min-span",
        "600",
    ]
    proc = subprocess.run(
        [sys.executable, SOAK, "--json", str(out), *args], capture_output=True, text=True, timeout=280, cwd=REPO_ROOT
    )
    text = proc.stdout + proc.stderr
    report = json.loads(out.read_text()) if out.exists() else {}
    assert report, text
    return proc.returncode, report, text


def test_every_request_is_answered_exactly_once_and_no_function_runs_twice(soak):
    _, report, text = soak
    assert report["sent"] == report["answered"] == REQUESTS, text
    assert report["lost"] == 0, text
    assert report["duplicated"] == 0, text
    assert report["ran_unknown_id"] == 0, text
    assert report["answered_200_without_run"] == 0, text
    # a function ran at most once per request, and every expected answer came from a run
    expected = sum(kind["expected"] for kind in report["by_kind"].values())
    assert expected <= report["runs_recorded"] <= REQUESTS, text
    # the hostile parts really happened
    assert all(kind["sent"] > 0 for kind in report["by_kind"].values()), text
    assert report["by_kind"]["spin"]["sent"] == 2
    assert report["by_kind"]["burst"]["sent"] == REQUESTS // 300
    assert len(report["worker_kills"]) == 1, text
    assert report["slow_clients"] == 3, text
    assert report["host_exit_code"] == 0, text


def test_every_kind_gets_its_expected_answer_and_no_worker_dies_unasked(soak):
    # fails on main before the worker's exception-description fix: an exception holding a lone
    # surrogate is never answered, so functionTimeout answers it and recycles the worker
    _, report, text = soak
    assert report["wrong"] == 0, text
    assert report["worker_deaths_other"] == 0, text
    assert report["by_kind"]["surrogate"]["expected"] > 0, text
    assert report["by_kind"]["spin"]["expected"] + report["by_kind"]["spin"]["worker_lost"] == 2


def test_slow_clients_are_cut_by_the_header_timeout(soak):
    # fails on main before the host's header timeout: a request head that never ends keeps its
    # connection open for ever
    _, report, text = soak
    assert report["header_timeout_s"] == 3, "the host has no --header-timeout option"
    assert report["slow_clients_cut"] == 3, text
    assert report["slow_cut_max_s"] < 15, text


def test_the_soak_sees_a_function_that_ran_twice_for_one_request(tmp_path):
    # the same app, except that every run records its request id twice
    app = tmp_path / "app"
    shutil.copytree(os.path.join(REPO_ROOT, "tests", "apps", "soak_hostile"), app)
    source = (app / "function_app.py").read_text()
    once = 'f.write(data["id"] + "\\n")'
    assert once in source
    (app / "function_app.py").write_text(source.replace(once, once + "\n            " + once))
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            SOAK,
            "--app",
            str(app),
            "--json",
            str(out),
            "--requests",
            "200",
            "--concurrency",
            "8",
            "--max-seconds",
            "60",
            "--kill-every",
            "0",
            "--slow-clients",
            "0",
            "--spin-every",
            "0",
            "--burst-every",
            "50",
            "--burst-lines",
            "10",
            "--leave-out",
            "surrogate",
        ],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=REPO_ROOT,
    )
    report = json.loads(out.read_text())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert report["answered"] == 200 and report["lost"] == 0
    assert report["duplicated"] == report["runs_recorded"] // 2 == 200
    assert "ran 2 times" in report["problems"]["duplicated"][0]
    assert "hostile soak: FAILED" in proc.stdout


def test_a_worker_that_fails_to_restart_is_named_as_an_unexplained_death(tmp_path):
    # the same app, except that its third import (the restart of the worker the soak kills) exits
    # with code 3. Before, the soak counted the processes it saw vanish and never read the host's
    # "restarting worker N failed" line: a short-lived failed start went unseen, or, when the
    # sampler caught it, was a bare count with nothing to say what it was
    app = tmp_path / "app"
    shutil.copytree(os.path.join(REPO_ROOT, "tests", "apps", "soak_hostile"), app)
    source = (app / "function_app.py").read_text()
    third_start_fails = (
        'STARTS = os.path.join(os.environ["SOAK_HOSTILE_DIR"], "starts.txt")\n'
        'with open(STARTS, "a") as f:\n    f.write("started\\n")\n'
        "with open(STARTS) as f:\n    if len(f.readlines()) == 3:\n        os._exit(3)\n"
    )
    assert "\napp = " in source
    (app / "function_app.py").write_text(source.replace("\napp = ", "\n" + third_start_fails + "\napp = ", 1))
    out = tmp_path / "report.json"
    proc = subprocess.run(
        # a kill at 0.5 s; the slow client (cut at 5 s) keeps the host up past the failed restart
        [
            sys.executable,
            SOAK,
            "--app",
            str(app),
            "--json",
            str(out),
            "--requests",
            "3000",
            "--concurrency",
            "8",
            "--max-seconds",
            "90",
            "--kill-every",
            "0.5",
            "--kills",
            "1",
            "--slow-clients",
            "1",
            "--header-timeout",
            "5",
            "--spin-every",
            "0",
            "--burst-every",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=REPO_ROOT,
    )
    text = proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["answered"] == 3000 and report["lost"] == 0 and report["wrong"] == 0, text
    assert len(report["worker_kills"]) == 1 and report["own_timeouts"] == 0, text
    assert report["worker_deaths_other"] == 1, text
    (line,) = report["problems"]["worker_death_other"]
    assert re.search(r"restarting worker \d failed \(attempt 1, pid \d+\): .*exited with code 3", line), text
    assert proc.returncode == 1 and "hostile soak: FAILED" in proc.stdout, text
