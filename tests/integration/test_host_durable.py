"""A Durable Functions app with an entity on the local host: orchestrators, activities and durable
clients run (the timer's runOnStartup starts one), the entity function is named as not served
and invoking it answers 501 saying why, instead of a TypeError from inside the durable library."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

_WHY = "needs Durable entities, which the quickfunc local host does not run yet"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    target = tmp_path_factory.mktemp("durable") / "app"
    shutil.copytree(app_path("host_durable"), target, ignore=shutil.ignore_patterns(".quickfunc"))
    with LocalHostProcess(str(target)) as running:
        yield running


def test_the_banner_serves_the_durable_functions_but_the_entity(host):
    out = host.output()
    assert re.search(r"http_start\s+http: \[all methods\] .*/api/orchestrators/\{functionName\}$", out, re.M), out
    assert re.search(r"hello_orchestrator\s+orchestration: durable \(started by a durable client\)$", out, re.M)
    assert re.search(r"say_hello\s+activity: durable \(called by orchestrators\)$", out, re.M)
    assert re.search(r"counter\s+entity: not served$", out, re.M), out
    assert f"an entity function (entityTrigger) {_WHY}" in out
    assert "Durable Functions: task hub 'TestHubName' in the embedded store" in out


def test_the_http_starter_starts_an_orchestration(host):
    reply = host.get("/api/orchestrators/hello_orchestrator")
    assert reply.status == 202, reply.text
    instance = reply.json()["id"]
    assert host.wait_for_line(rf"Orchestration hello_orchestrator \({instance}\): Completed", 30), host.output()
    assert host.get("/api/plain").text == "plain works"  # the rest of the app is served


def test_the_timer_run_on_startup_started_one_through_its_client(host):
    assert host.wait_for_line(r"Executed 'timer_start' \(Succeeded", 30), host.output()
    assert host.count(r"Orchestration hello_orchestrator \(\w+\): Completed") >= 1


def test_admin_invoking_the_entity_answers_with_the_message(host):
    reply = host.post("/admin/functions/counter", '{"input": "Seattle"}')
    assert reply.status == 501
    assert reply.text.strip().startswith(f"Function counter is not served: an entity function (entityTrigger) {_WHY}")


def test_nothing_fails_inside_the_durable_library(host):
    host.get("/api/orchestrators/hello_orchestrator")
    assert host.get("/api/plain").status == 200
    out = host.output()
    assert "TypeError" not in out and "JSONDecodeError" not in out, out
