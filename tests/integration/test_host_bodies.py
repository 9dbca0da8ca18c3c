"""Request bodies in flight: the local host holds at most --max-body-memory bytes of them (more
wait for room, then get 503 with Retry-After), and a body is not copied over and over on its way
to the worker."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import socket
import threading
import time

import psutil
import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, Reply, request

MB = 1000 * 1000
MIB = 1024 * 1024


class _PeakRss:
    """The highest RSS of a process, sampled every 5 ms in a thread (bounded by stop())."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            try:
                self.peak = max(self.peak, self._process.memory_info().rss)
            except psutil.Error:
                return

    def stop(self) -> int:
        """Peak growth in bytes."""
        self._stop.set()
        self._thread.join(5)
        return self.peak - self.start


def test_concurrent_large_bodies_stay_within_the_bound_and_all_arrive_intact():
    body = bytes(range(256)) * (40 * MB // 256)  # 40 MB, under the 40 MiB body limit
    digest = hashlib.sha256(body).hexdigest()
    args = ["--max-body-size", "40MB", "--max-body-memory", "80MB"]  # room for two at once
    with LocalHostProcess(app_path("host_load"), args) as host:
        assert host.get("/api/ping").status == 200
        assert host.proc is not None
        rss = _PeakRss(host.proc.pid)
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            replies = list(pool.map(lambda _: request(host.url + "/api/measure", "POST", body, timeout=120), range(5)))
        grown = rss.stop()
    assert [r.status for r in replies] == [200] * 5, [r.text for r in replies]
    assert all(r.json() == {"length": len(body), "sha256": digest} for r in replies)
    # two bodies in flight, each at most about twice (the buffer it is read into and the
    # message it becomes); without the bound and with copies along the way this was ~720 MiB
    assert grown < 3 * 80 * MIB, f"the host grew by {grown / MIB:.0f} MiB"


@pytest.fixture(scope="module")
def tight():
    args = ["--max-body-size", "2MB", "--max-body-memory", "2MB", "--body-wait-timeout", "0.5"]
    with LocalHostProcess(app_path("host_load"), args) as running:
        yield running


def _hold_the_room(host: LocalHostProcess, seconds: float) -> concurrent.futures.Future[Reply]:
    """A request whose 2 MB body fills the room while its function sleeps."""
    start = len(host.lines)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    pending = pool.submit(request, host.url + f"/api/measure?sleep={seconds}", "POST", b"h" * (2 * MB), None, 60)
    pool.shutdown(wait=False)
    assert host.wait_for_line(r"measure sleeps", 20, start), host.output()
    return pending


def test_a_body_that_finds_no_room_in_time_gets_503_with_retry_after_before_it_is_sent(tight):
    holder = _hold_the_room(tight, 1.5)
    with socket.create_connection(("127.0.0.1", tight.port), timeout=20) as sock:
        # the client waits for 100 Continue before sending: it never comes, the 503 does
        sock.sendall(
            b"POST /api/measure HTTP/1.1\r\nHost: x\r\nContent-Length: 1500000\r\nExpect: 100-continue\r\n\r\n"
        )
        began = time.monotonic()
        text = _response_head(sock)
        waited = time.monotonic() - began
    assert text.startswith("HTTP/1.1 503"), text
    assert "Retry-After: 5" in text
    assert 0.4 < waited < 10
    assert holder.result(30).status == 200
    assert tight.wait_for_line(r"POST /api/measure 503 .*--max-body-memory", 10)


def test_small_bodies_do_not_wait_for_room(tight):
    holder = _hold_the_room(tight, 1.5)
    began = time.monotonic()
    reply = tight.post("/api/measure", b"s" * 1000)
    assert reply.status == 200 and reply.json()["length"] == 1000
    assert not holder.done() and time.monotonic() - began < 1.5
    assert holder.result(30).status == 200


def _response_head(sock: socket.socket) -> str:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    return head.decode()


def test_a_chunked_body_is_counted_as_it_grows_and_room_comes_back(tight):
    holder = _hold_the_room(tight, 1.5)
    with socket.create_connection(("127.0.0.1", tight.port), timeout=20) as sock:
        sock.sendall(b"POST /api/measure HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(3):  # 192 KiB so far, and no room for more than 64 KiB
            sock.sendall(b"10000\r\n" + b"c" * 65536 + b"\r\n")
        head = _response_head(sock)
    assert head.startswith("HTTP/1.1 503"), head
    assert holder.result(30).status == 200
    # the room is free again: the same kind of body, larger, goes through
    body = b"c" * (3 * MB // 2)
    conn = http.client.HTTPConnection("127.0.0.1", tight.port, timeout=30)
    try:
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        conn.request("POST", "/api/measure", body=chunks, encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
        reply = conn.getresponse()
        data = reply.read()
    finally:
        conn.close()
    assert reply.status == 200, data
    assert b'"length": 1500000' in data
