"""Response headers the host cannot send: the Functions host writes a function's headers
through Kestrel, which throws for a name that is not an HTTP token or a value with a
non-ASCII or control character ("Invalid non-ASCII or control character in header"), so
Azure answers 500; the local host does the same, and says which header and what to do."""

from __future__ import annotations

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("public_http_headers")) as running:
        yield running


def test_an_ascii_header_is_sent(host):
    reply = host.get("/api/download?name=cv.pdf")
    assert (reply.status, reply.body) == (200, b"%PDF")
    assert reply.headers["Content-Disposition"] == 'attachment; filename="cv.pdf"'


def test_a_non_ascii_header_value_fails_the_request_as_on_azure(host):
    reply = host.get("/api/download")
    assert reply.status == 500
    assert "'Content-Disposition'" in reply.text and "filename*=UTF-8''" in reply.text
    assert "Content-Disposition" not in reply.headers
    assert host.wait_for_line(r"download returned response headers that HTTP cannot carry: 'Content-Disposition'", 5)


def test_the_rfc_5987_form_goes_through(host):
    reply = host.get("/api/download?encoded=1")
    assert reply.status == 200
    assert reply.headers["Content-Disposition"] == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"


def test_cookie_values_are_escaped_as_the_host_writes_them(host):
    # the host adds each cookie with ASP.NET Core's Response.Cookies.Append, which escapes the
    # value with Uri.EscapeDataString: a client reads back exactly what Azure would send it
    reply = host.get("/api/login")
    cookies = reply.headers.get_all("Set-Cookie")
    assert reply.status == 200 and len(cookies) == 2
    assert cookies[0].startswith("session=c2Vzc2lvbi0x%3D%3D;") and "HttpOnly" in cookies[0]
    assert cookies[1].startswith("prefs=%7B%22theme%22%3A%20%22dark%22%7D;")
