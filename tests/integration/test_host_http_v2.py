"""The local host serving a v2 app over real HTTP: routes, methods, bodies, responses, logs,
outputs and admin invoke (one host process, one worker, shared by the module)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("host_v2")) as running:
        yield running


def test_banner_lists_each_function_with_trigger_and_url_and_the_worker_pid(host):
    out = host.output()
    assert re.search(rf"hello\s+http: \[GET,POST\] {re.escape(host.url)}/api/hello/\{{name\?\}}", out), out
    assert re.search(r"forward\s+queue: POST .*/admin/functions/forward", out)
    assert re.search(r"yearly\s+timer: schedule 0 0 0 1 1 \*", out)
    pids = host.worker_pids()
    assert len(pids) == 1 and f"pid {pids[0]}" in out
    assert re.search(r"Python: .*python.* \(3\.\d+\)", out)


def test_route_parameter_query_and_json_body(host):
    reply = host.get("/api/hello/Ada?lang=en&empty=")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert body == {"greeting": "Hello, Ada!", "method": "GET", "query": {"lang": "en"}, "route": {"name": "Ada"}}


def test_optional_route_parameter_may_be_left_out(host):
    assert host.get("/api/hello").json()["greeting"] == "Hello, world!"
    assert host.post("/api/hello?name=Bo").json()["greeting"] == "Hello, Bo!"


def test_route_constraints_choose_what_matches(host):
    assert host.get("/api/items/42").json()["id"] == 42
    assert host.get("/api/items/42/blue").json()["tag"] == "blue"
    assert host.get("/api/items/forty-two").status == 404  # {id:int}
    assert host.get("/api/items/42/blue9").status == 404  # {tag:alpha?}
    assert host.get("/api/items/99999999999").status == 404  # beyond int


def test_unknown_route_and_wrong_method_are_404_as_on_the_host(host):
    assert host.get("/api/nothing-here").status == 404
    assert host.get("/hello").status == 404  # the route prefix is required
    reply = request(host.url + "/api/items/1", "DELETE")
    assert reply.status == 404
    assert "GET" in reply.text


def test_headers_and_cookies_reach_the_function(host):
    reply = host.get("/api/items/7", headers={"X-Trace": "t-1", "Cookie": "a=1; b=2"})
    assert reply.json() == {"id": 7, "tag": None, "x-trace": "t-1", "cookie": "a=1; b=2"}


def test_http_response_status_headers_mimetype_and_cookie(host):
    reply = host.get("/api/respond?status=203")
    assert reply.status == 203
    assert reply.text == "<p>made</p>"
    assert reply.headers["X-Made-By"] == "respond"
    assert reply.headers["Content-Type"].startswith("text/html")
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("session=abc123") and "HttpOnly" in cookie and "Path=/" in cookie
    assert "SameSite=Lax" in cookie


def test_string_return_value_is_a_200_text_body(host):
    reply = host.get("/api/text")
    assert (reply.status, reply.text) == (200, "plain text")
    assert reply.headers["Content-Type"].startswith("text/plain")


def test_a_body_of_several_megabytes_arrives_whole(host):
    data = os.urandom(6 * 1024 * 1024)
    reply = host.post("/api/echo", data, headers={"Content-Type": "application/octet-stream"})
    assert reply.status == 200
    assert reply.json() == {
        "length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "application/octet-stream",
    }


def test_a_chunked_body_without_content_length_arrives_whole(host):
    chunks = [b"x" * 1000, b"y" * 5000, b"z"]
    conn = http.client.HTTPConnection("127.0.0.1", int(host.url.rsplit(":", 1)[1]), timeout=20)
    try:
        conn.request(
            "PUT",
            "/api/echo",
            body=iter(chunks),
            encode_chunked=True,
            headers={"Transfer-Encoding": "chunked", "Content-Type": "text/plain"},
        )
        body = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert body["length"] == 6001
    assert body["sha256"] == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_async_function_answers_and_logs(host):
    reply = host.get("/api/async/50")
    assert (reply.status, reply.text) == (200, "waited")
    assert host.wait_for_line(r"async_wait \([0-9a-f]{8}\) async function waited 50 ms")


def test_function_logs_carry_function_name_and_invocation_id(host):
    start = len(host.lines)
    assert host.get("/api/log").status == 200
    for text in ("info from log", "warning from log", "error from log"):
        assert host.wait_for_line(rf"^\[[\d:]+\] log \([0-9a-f]{{8}}\) {text}$", start=start), host.output()


def test_host_json_log_level_hides_a_functions_lower_levels(host):
    start = len(host.lines)
    assert host.get("/api/quiet").status == 200
    assert host.wait_for_line("quiet warning is shown", start=start)
    assert host.wait_for_line(r"GET /api/quiet 200", start=start)
    assert "quiet info is hidden" not in host.output()


def test_one_request_line_with_method_path_status_and_duration(host):
    start = len(host.lines)
    host.post("/api/hello/Zed")
    line = host.wait_for_line(r"POST /api/hello/Zed", start=start)
    assert line and re.search(r"POST /api/hello/Zed 200 \d+\.\dms", line)


def test_an_output_binding_is_shown_as_a_log_line(host):
    assert host.get("/api/enqueue?text=abc").text == "enqueued"
    assert host.wait_for_line(r"enqueue \([0-9a-f]{8}\) output queue 'outqueue': queued abc")


def test_a_failing_function_is_a_500_naming_the_error(host):
    reply = host.get("/api/fail")
    assert reply.status == 500
    assert "ValueError: this function always fails" in reply.text
    assert host.wait_for_line(r"fail \([0-9a-f]{8}\) failed: ValueError: this function always fails")


def test_auth_levels_are_not_enforced_by_default(host):
    assert host.get("/api/secure").text == "secret"
    assert host.get("/api/admin-only").text == "admin secret"


def test_admin_invoke_runs_a_queue_function_with_the_input_as_its_message(host):
    reply = host.post(
        "/admin/functions/forward", json.dumps({"input": "hello queue"}), headers={"Content-Type": "application/json"}
    )
    assert reply.status == 202
    assert host.wait_for_line(
        r"forward \([0-9a-f]{8}\) forward got hello queue "
        r"\(dequeue count 1\)"
    )
    assert host.wait_for_line(r"output queue 'outqueue': HELLO QUEUE")
    assert host.wait_for_line(r"Executed 'forward' \(Succeeded, Id=[0-9a-f-]+, Duration=\d+ms\)")


def test_admin_invoke_runs_a_timer_function(host):
    assert host.post("/admin/functions/yearly", '{"input": ""}').status == 202
    assert host.wait_for_line(r"yearly \([0-9a-f]{8}\) yearly ran, past_due=False")


def test_admin_invoke_refuses_unknown_functions_http_functions_and_bad_bodies(host):
    assert host.post("/admin/functions/nope", '{"input": "x"}').status == 404
    reply = host.post("/admin/functions/hello", '{"input": "x"}')
    assert reply.status == 400 and "/api/hello" in reply.text
    assert host.post("/admin/functions/forward", "not json").status == 400
    put = request(host.url + "/admin/functions/forward", "PUT", b"{}")
    assert put.status == 405 and put.headers["Allow"] == "GET, POST"
