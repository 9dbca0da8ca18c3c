"""The local host serving a v1 (function.json) app: host.json routePrefix, app settings,
named and missing http outputs, output bindings, admin invoke."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def host():
    # FROM_ENV is also in local.settings.json: the environment wins
    with LocalHostProcess(app_path("host_v1"), env={"FROM_ENV": "environment value"}) as running:
        yield running


def test_functions_are_read_from_function_json_folders(host):
    out = host.output()
    assert "(v1 app)" in out
    assert re.search(rf"Greet\s+http: \[GET\] {re.escape(host.url)}/v1/greet/\{{name:alpha\}}", out)
    assert re.search(r"QueueReader\s+queue: POST .*/admin/functions/QueueReader", out)


def test_route_prefix_from_host_json_and_settings_from_local_settings(host):
    reply = host.get("/v1/greet/Ann")
    assert reply.status == 200
    assert reply.text == "Howdy, Ann! (environment value)"
    assert host.get("/api/greet/Ann").status == 404
    assert host.get("/v1/greet/Ann1").status == 404  # {name:alpha}
    assert host.post("/v1/greet/Ann").status == 404  # a method the route does not take, as the host


def test_a_response_never_set_is_a_200_with_an_empty_body(host):
    reply = host.post("/v1/NoResponse")
    assert (reply.status, reply.body) == (200, b"")


def test_a_named_http_output_binding_is_the_response(host):
    reply = host.post("/v1/Respond", json.dumps({"a": 1}), headers={"Content-Type": "application/json"})
    assert reply.status == 202
    assert reply.headers["X-Out"] == "named"
    assert reply.json() == {"seen": {"a": 1}}


def test_queue_output_is_logged(host):
    assert host.get("/v1/QueueWriter?n=7").text == "written"
    assert host.wait_for_line(r"QueueWriter \([0-9a-f]{8}\) output queue 'v1queue': v1 message 7")


def test_admin_invoke_of_v1_queue_and_timer_functions(host):
    assert host.post("/admin/functions/queuereader", '{"input": "from admin"}').status == 202
    assert host.wait_for_line(r"QueueReader \([0-9a-f]{8}\) QueueReader got from admin")
    assert host.post("/admin/functions/Yearly", "{}").status == 202
    assert host.wait_for_line(r"Yearly \([0-9a-f]{8}\) Yearly ran, past_due=False")
