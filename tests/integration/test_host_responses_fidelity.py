"""The local host answers HTTP functions as the Functions host does (protocol §8.4): a text
holding a JSON response object is read as a response, a function with no http output gets 204,
and a method the route does not take gets 404 with a console line saying why."""

from __future__ import annotations

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("host_fidelity_v1")) as running:
        yield running


def test_a_text_holding_a_response_object_is_read_as_the_response(host):
    reply = host.get("/api/TextResponse?kind=status")
    assert (reply.status, reply.headers["X-Why"], reply.text) == (405, "object", "nope")


def test_keys_in_any_case_status_code_first_and_an_object_body_as_json(host):
    reply = host.get("/api/TextResponse?kind=statusCode")
    assert reply.status == 201
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == {"made": 1}


def test_a_status_that_is_not_a_number_leaves_200(host):
    reply = host.get("/api/TextResponse?kind=badStatus")
    assert (reply.status, reply.text) == (200, "still fine")


@pytest.mark.parametrize(
    "kind, text",
    [
        ("noBody", '{"status": 404, "headers": {"X-Why": "object"}}'),
        ("array", "[1, 2]"),
        ("plain", "just text"),
    ],
)
def test_other_texts_are_the_body_of_a_200_as_they_are(host, kind, text):
    reply = host.get(f"/api/TextResponse?kind={kind}")
    assert (reply.status, reply.text) == (200, text)
    assert "X-Why" not in reply.headers


def test_a_function_without_an_http_output_answers_204(host):
    reply = host.get("/api/NoOutput")
    assert (reply.status, reply.body) == (204, b"")
    assert host.wait_for_line(r"NoOutput \([0-9a-f]{8}\) NoOutput ran")


def test_a_method_the_route_does_not_take_is_404_with_a_console_line(host):
    assert host.get("/api/only/get").text == "got"
    reply = request(host.url + "/api/only/get", "POST", b"x")
    assert reply.status == 404
    assert "Allow" not in reply.headers
    assert "GET" in reply.text
    assert host.wait_for_line(r"POST /api/only/get 404 .*the route takes GET only")


def test_a_misspelt_binding_type_is_named_with_a_suggestion(host):
    assert host.wait_for_line(
        r"'httpTriger' is not a binding type the azure\.functions library knows \(did you mean 'httpTrigger'\?\)"
    )
    assert host.get("/api/TextResponse?kind=plain").text == "just text"  # the other functions serve
