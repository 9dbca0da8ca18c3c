"""A Durable Functions app (orchestrator, activity, entity, HTTP starter and timer with durable
clients) next to a plain HTTP function: the local host serves all of it, the timer's runOnStartup
starts an orchestration through its client, and nothing fails inside the durable library."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    target = tmp_path_factory.mktemp("durable") / "app"
    shutil.copytree(app_path("host_durable"), target, ignore=shutil.ignore_patterns(".quickfunc"))
    with LocalHostProcess(str(target)) as running:
        yield running


def test_the_banner_names_how_each_durable_function_runs(host):
    out = host.output()
    assert re.search(r"http_start\s+http: \[all methods\] .*/api/orchestrators/\{functionName\}$", out, re.M), out
    assert re.search(r"hello_orchestrator\s+orchestration: durable \(started by a durable client\)$", out, re.M)
    assert re.search(r"say_hello\s+activity: durable \(called by orchestrators\)$", out, re.M)
    assert re.search(r"counter\s+entity: durable entity \(signalled or called\)$", out, re.M), out
    assert "not served" not in out and "will be None" not in out, out
    assert "Durable Functions: task hub 'TestHubName' in the embedded store" in out


def test_the_http_starter_starts_an_orchestration(host):
    reply = host.get("/api/orchestrators/hello_orchestrator")
    assert reply.status == 202, reply.text
    instance = reply.json()["id"]
    assert host.wait_for_line(rf"Orchestration hello_orchestrator \({instance}\): Completed", 30), host.output()
    assert host.get("/api/plain").text == "plain works"  # the rest of the app is served


def test_the_timer_run_on_startup_started_one_through_its_client(host):
    assert host.wait_for_line(r"Executed 'timer_start' \(Succeeded", 30), host.output()
    assert host.wait_for_line(r"Orchestration hello_orchestrator \(\w+\): Completed", 30)


def test_nothing_fails_inside_the_durable_library(host):
    host.get("/api/orchestrators/hello_orchestrator")
    assert host.get("/api/plain").status == 200
    out = host.output()
    assert "TypeError" not in out and "JSONDecodeError" not in out, out
