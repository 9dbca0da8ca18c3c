"""Slow and idle clients of the local host: a request head that drips in is cut after
--header-timeout (408), an idle connection is closed after --idle-timeout, and open connections
are bounded by --max-connections, so that the host never runs out of file descriptors and keeps
serving normal requests during and after."""

from __future__ import annotations

import concurrent.futures
import http.client
import socket
import time

import psutil

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

DRIPPERS = 50
BOUND = 20
HEAD_TIMEOUT = 1.5
SLACK = 5.0  # a loaded 2-core machine may be late by this much


def _open_connections(host: LocalHostProcess) -> int:
    """TCP connections the host process holds open on its HTTP port."""
    port = host.port
    assert host.proc is not None
    return len(
        [
            c
            for c in psutil.Process(host.proc.pid).net_connections("tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
        ]
    )


def _drip_until_closed(
    socks: list[socket.socket],
    seconds: float,
) -> dict[int, tuple[float, bytes]]:
    """Send one byte per socket every 0.25 s until the host closes each one (or ``seconds``
    pass); for each closed socket: when, and what the host said first (b"" if nothing)."""
    start = time.monotonic()
    closed: dict[int, tuple[float, bytes]] = {}
    for sock in socks:
        sock.setblocking(False)
    while len(closed) < len(socks) and time.monotonic() - start < seconds:
        for i, sock in enumerate(socks):
            if i in closed:
                continue
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                try:
                    sock.send(b"X")
                except BlockingIOError:
                    pass
                except OSError:
                    closed[i] = (time.monotonic() - start, b"")
                continue
            except OSError:  # reset
                data = b""
            closed[i] = (time.monotonic() - start, data)
        time.sleep(0.25)
    return closed


def test_dripping_request_heads_are_cut_and_normal_requests_are_still_served():
    args = ["--header-timeout", str(HEAD_TIMEOUT), "--max-connections", str(BOUND)]
    with LocalHostProcess(app_path("host_v2"), args) as host:
        port = host.port
        socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(DRIPPERS)]
        try:
            for sock in socks:
                sock.sendall(b"GET /api/hello HTTP/1.1\r\nHost: dripping\r\n")
            during = host.get("/api/hello/during", timeout=10)
            assert during.status == 200, during.text
            assert _open_connections(host) <= BOUND
            closed = _drip_until_closed(socks, HEAD_TIMEOUT + SLACK)
        finally:
            for sock in socks:
                sock.close()
        assert len(closed) == DRIPPERS, f"{DRIPPERS - len(closed)} dripping connections stayed open"
        timed_out = [t for t, data in closed.values() if data.startswith(b"HTTP/1.1 408 ")]
        assert timed_out and max(timed_out) >= HEAD_TIMEOUT - 0.2
        assert max(t for t, _ in closed.values()) <= HEAD_TIMEOUT + SLACK
        assert host.get("/api/hello/after").status == 200
        assert host.wait_for_line(
            r"\(request head not received within 1.5s; --header-timeout\) "
            r"408",
            2,
        ), host.output()
        assert host.wait_for_line(r"20 connections open \(--max-connections\)", 2), host.output()


def test_idle_connections_are_closed_after_the_idle_timeout():
    with LocalHostProcess(app_path("host_v2"), ["--idle-timeout", "1"]) as host:
        silent = socket.create_connection(("127.0.0.1", host.port), timeout=10)
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
        try:
            start = time.monotonic()
            conn.request("GET", "/api/hello/kept")
            response = conn.getresponse()
            assert response.status == 200 and response.getheader("Connection") != "close"
            response.read()
            assert conn.sock is not None  # kept alive for the next request
            for sock in (silent, conn.sock):
                assert sock.recv(1) == b""  # the host closed it (the 10 s timeout did not hit)
            assert 0.8 <= time.monotonic() - start <= 1 + SLACK
        finally:
            silent.close()
            conn.close()
        assert host.get("/api/hello/again").status == 200


def test_at_the_bound_running_requests_finish_and_a_new_connection_is_refused_at_once():
    with LocalHostProcess(app_path("host_v2"), ["--max-connections", "3"]) as host:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            slow = [pool.submit(host.get, "/api/work?sleep=2", timeout=30) for _ in range(3)]
            deadline = time.monotonic() + 10
            while _open_connections(host) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _open_connections(host) == 3
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", host.port), timeout=5) as extra:
                try:
                    extra.sendall(b"GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = extra.recv(4096)
                except ConnectionResetError:
                    answer = b""
            assert time.monotonic() - start < 2
            assert answer == b"" or answer.startswith(b"HTTP/1.1 503 "), answer
            assert [f.result(timeout=30).status for f in slow] == [200, 200, 200]
        assert host.wait_for_line(r"connection refused: all 3 connections are busy", 2)
        assert host.get("/api/hello/after").status == 200
