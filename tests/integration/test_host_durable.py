"""A Durable Functions app on the local host, which does not run the Durable extension yet: the
banner names each function that needs it as not served, and invoking one answers 501 saying
why, instead of a TypeError from inside the durable library."""

from __future__ import annotations

import re

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

_WHY = "needs the Durable Functions extension, which the quickfunc local host does not run yet"


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("host_durable")) as running:
        yield running


def test_the_banner_names_the_durable_functions_as_not_served(host):
    out = host.output()
    assert re.search(r"http_start\s+http: \[all methods\] .*/api/orchestrators/\{functionName\}", out), out
    assert f"not served: its client binding 'client' (durableClient) {_WHY}" in out
    for name, trigger, kind in (
        ("hello_orchestrator", "orchestration", "an orchestrator function (orchestrationTrigger)"),
        ("say_hello", "activity", "an activity function (activityTrigger)"),
        ("counter", "entity", "an entity function (entityTrigger)"),
        ("timer_start", "timer", f"its client binding 'client' (durableClient) {_WHY}"),
    ):
        assert re.search(rf"{name}\s+{trigger}: not served$", out, re.MULTILINE), (name, out)
        assert kind in out
    assert re.search(r"plain\s+http: \[all methods\] .*/api/plain$", out, re.MULTILINE)


def test_the_http_starter_answers_501_with_the_message_not_a_type_error(host):
    start = len(host.lines)
    reply = host.get("/api/orchestrators/hello_orchestrator")
    assert reply.status == 501
    assert reply.text.startswith(
        f"Function http_start is not served: its client binding 'client' (durableClient) {_WHY}"
    )
    assert host.wait_for_line(r"GET /api/orchestrators/hello_orchestrator 501 .* -> http_start", start=start)
    assert host.get("/api/plain").text == "plain works"  # the rest of the app is served


@pytest.mark.parametrize(
    "name, what",
    [
        ("hello_orchestrator", "an orchestrator function (orchestrationTrigger)"),
        ("say_hello", "an activity function (activityTrigger)"),
        ("counter", "an entity function (entityTrigger)"),
    ],
)
def test_admin_invoking_a_durable_function_answers_with_the_message(host, name, what):
    reply = host.post(f"/admin/functions/{name}", '{"input": "Seattle"}')
    assert reply.status == 501
    assert reply.text.strip().startswith(f"Function {name} is not served: {what} {_WHY}")


def test_nothing_durable_runs_and_nothing_fails_inside_the_durable_library(host):
    host.get("/api/orchestrators/hello_orchestrator")
    assert host.get("/api/plain").status == 200  # after the timer's runOnStartup would have fired
    out = host.output()
    assert "TypeError" not in out and "JSONDecodeError" not in out, out
    assert "Executed 'timer_start'" not in out  # its runOnStartup did not fire
