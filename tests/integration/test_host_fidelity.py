"""The local host serving ``tests/apps/v1_fidelity``: a hyphenated function folder is served, and
an HTTP output value the official worker refuses is a 500 naming what to return instead, as on
Azure (issue 14, points 1 and 2)."""

from __future__ import annotations

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("v1_fidelity")) as running:
        yield running


def test_a_hyphenated_function_folder_is_served(host):
    reply = host.get("/api/http-trigger-dump-request?x=1")
    assert reply.status == 200, reply.text
    assert reply.text.startswith("dump: GET ") and "(__app__.http-trigger-dump-request, " in reply.text


@pytest.mark.parametrize("kind", ["dict", "list", "bytes", "none", "int", "custom"])
def test_a_refused_return_value_is_a_500_saying_what_to_return(host, kind):
    reply = host.get(f"/api/ReturnValue?kind={kind}")
    assert reply.status == 500
    assert "return func.HttpResponse(" in reply.text


def test_a_refused_out_value_is_a_500_saying_how_to_set_it(host):
    reply = host.get("/api/OutValue?kind=bytearray")
    assert reply.status == 500
    assert "call res.set(func.HttpResponse(" in reply.text


def test_accepted_values_keep_their_status_headers_and_body(host):
    text = host.get("/api/ReturnValue?kind=str")
    assert (text.status, text.text) == (200, "plain text")
    made = host.get("/api/OutValue?kind=response")
    assert (made.status, made.headers["X-Made"], made.body) == (201, "yes", b"made")
