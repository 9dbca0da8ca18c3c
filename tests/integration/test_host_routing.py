"""The local host over real HTTP against hostile paths: a URL crafted against a segment with four
parameters is answered at once while the host keeps serving; dot segments and %2F are treated as
the Functions host treats them; no control character from a request or a function reaches the
console; a request cut by the drain timeout at shutdown gets a 503 and a console line."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import urllib.parse

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("host_v2")) as running:
        yield running


def _send(url: str, target: str) -> socket.socket:
    """Send a GET for ``target`` exactly as given (no client-side normalising); the socket is
    left to read the answer from."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, int(parts.port or 80)), timeout=10)
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("ascii"))
    return sock


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of the answer (the host closes the connection after it)."""
    data = b""
    deadline = time.monotonic() + 10
    with sock:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), data[:200]
    return int(head.split(b" ", 2)[1]), body


def _get(url: str, target: str) -> tuple[int, bytes]:
    return _answer(_send(url, target))


def test_a_url_crafted_against_four_parameters_in_one_segment_does_not_freeze_the_host(host):
    crafted = "/api/multi/" + "-" * 600 + "/x"  # the old regex tried every split: ~n**4 steps
    start = time.monotonic()
    pending = _send(host.url, crafted)
    # another request, sent while the crafted one is being routed, is answered promptly
    status, body = _get(host.url, "/api/hello/Ada")
    assert status == 200 and b"Hello, Ada!" in body
    assert _answer(pending)[0] == 404
    assert time.monotonic() - start < 5.0
    status, body = _get(host.url, "/api/multi/1-2-3-4-5")  # split as ASP.NET Core splits it
    assert status == 200
    assert json.loads(body) == {"a": "1-2", "b": "3", "c": "4", "d": "5"}


@pytest.mark.parametrize(
    "target, status, rest",
    [
        ("/api/files/..%2F..%2Fetc%2Fpasswd", 200, "..%2F..%2Fetc%2Fpasswd"),  # one segment
        ("/api/files/a%2Fb/c/", 200, "a%2Fb/c/"),  # %2F stays encoded in the route value
        ("/api/files/a/%2e%2e/b", 200, "b"),  # decoded, then removed
        ("/api/files/doc%20one.txt", 200, "doc one.txt"),
        ("/api/files/%2E%2E/%2E%2E/etc/passwd", 404, None),  # /etc/passwd: no function there
        ("/api/files/../../etc/passwd", 404, None),
        ("/api/files/a%00b", 400, None),
    ],
)
def test_paths_are_normalised_before_routing_as_the_functions_host_does(host, target, status, rest):
    got, body = _get(host.url, target)
    assert got == status, body
    if rest is not None:
        assert json.loads(body) == {"rest": rest}


def test_no_control_character_from_a_request_or_a_function_reaches_the_console(host):
    start = len(host.lines)
    hostile = "%1B%5B31mred%1B%5D0%3Bowned%07%0D"
    assert _get(host.url, f"/api/noisy?text={hostile}")[0] == 200
    status, body = _get(host.url, f"/api/x{hostile}y%0A%5B00:00:00%5D%20GET%20/api/forged%20200")
    assert status == 404 and b"\x1b" not in body and b"\\x1b[31mred" in body
    assert host.wait_for_line(r"GET /api/x.*y\\n\[00:00:00\] GET /api/forged 200 404", 10, start), host.output()
    for tag in ("noisy log", "noisy stdout", "noisy stderr"):
        line = host.wait_for_line(tag, 10, start)
        assert line is not None, host.output()
        assert "\\x1b[31mred\\x1b]0;owned\\x07" in line
    # the host's own console output: not a single escape or bell from the request
    printed = "\n".join(host.lines[start:])
    assert "\x1b" not in printed and "\x07" not in printed and "\r" not in printed


def test_a_request_cut_by_the_drain_timeout_gets_a_503_and_a_console_line():
    with LocalHostProcess(app_path("host_v2"), ["--drain-timeout", "1"]) as host:
        pending = _send(host.url, "/api/slow?sleep=30")
        assert host.wait_for_line("slow started", 20), host.output()
        answers: list[tuple[int, bytes]] = []
        errors: list[BaseException] = []

        def read() -> None:
            try:
                answers.append(_answer(pending))
            except (AssertionError, OSError) as exc:  # closed without an answer
                errors.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        host.stop(signal.SIGTERM, timeout=30)
        reader.join(15)
        assert answers, f"no answer: {errors!r}"
        status, body = answers[0]
        assert status == 503
        assert b"drain timeout" in body
        line = host.wait_for_line(r"GET /api/slow 503", 5)
        assert line is not None and "function slow still running" in line, host.output()
