"""Request limits of the local host: bodies over --max-body-size get 413 (declared or chunked),
header lines over --max-header-size get 431, and the host keeps serving."""

from __future__ import annotations

import http.client
import socket

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def host():
    args = ["--max-body-size", "64KB", "--max-header-size", "4KB"]
    with LocalHostProcess(app_path("host_v2"), args) as running:
        yield running


def test_a_body_at_the_limit_is_accepted(host):
    reply = host.post("/api/echo", b"a" * LIMIT)
    assert reply.status == 200 and reply.json()["length"] == LIMIT


def test_a_declared_body_over_the_limit_is_413_before_it_is_read(host):
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        # announce 100 MB but send nothing: the answer must come from the header alone
        sock.sendall(b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413")
    assert "--max-body-size" in head


def test_a_chunked_body_over_the_limit_is_413(host):
    conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=20)
    try:
        chunks = (b"z" * 16384 for _ in range(8))  # 128 KB, no Content-Length
        conn.request("POST", "/api/echo", body=chunks, encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
        status = conn.getresponse().status
    except (ConnectionResetError, BrokenPipeError):
        pytest.fail("the host closed the connection without answering 413")
    finally:
        conn.close()
    assert status == 413


def test_a_header_line_over_the_limit_is_431(host):
    reply = host.get("/api/hello", headers={"X-Big": "b" * 8000})
    assert reply.status == 431
    assert host.wait_for_line(r"\(request head too large\) 431", 2)


def test_the_host_still_serves_after_refusing(host):
    assert host.get("/api/hello/fine").status == 200


def test_expect_100_continue_is_answered_before_the_body_is_sent(host):
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        sock.sendall(b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        final = b""
        while b'"length": 5' not in final:
            chunk = sock.recv(4096)
            assert chunk, final
            final += chunk
    assert final.startswith(b"HTTP/1.1 200")
