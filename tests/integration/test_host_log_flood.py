"""A function that logs a flood of lines: the local host prints them without keeping them, and a
console that cannot keep up stalls nothing; the lines it could not show are counted, not lost
silently."""

from __future__ import annotations

import re
import threading
import time

import psutil
import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request

_NOTE = re.compile(r"(\d+) console line\(s\) were not shown")


@pytest.fixture()
def host():
    with LocalHostProcess(app_path("host_load")) as running:
        yield running


def _rss(host: LocalHostProcess) -> int:
    assert host.proc is not None
    return psutil.Process(host.proc.pid).memory_info().rss


def _flood(host: LocalHostProcess, lines: int, width: int) -> None:
    reply = host.get(f"/api/flood?lines={lines}&width={width}", timeout=120)
    assert reply.status == 200 and reply.text == f"logged {lines}"


def test_the_host_does_not_keep_function_logs(host):
    _flood(host, 2000, 2000)  # warm-up: buffers and allocator arenas reach their working size
    before = _rss(host)
    _flood(host, 10000, 2000)  # 20 MB of log text
    grown = _rss(host) - before
    # keeping every RpcLog made the host grow by about 30 MB here
    assert grown < 10 * 2**20, f"the host grew by {grown / 2**20:.1f} MiB"


def test_a_stuck_console_stalls_no_request_and_dropped_lines_are_counted(host):
    lines = 20000
    start = len(host.lines)
    host.pause_console()
    flood: dict[str, object] = {}

    def run_flood() -> None:
        try:
            flood["reply"] = request(host.url + f"/api/flood?lines={lines}&width=100", timeout=120)
        except Exception as exc:  # reported by the assertions below
            flood["error"] = exc

    thread = threading.Thread(target=run_flood, daemon=True)
    try:
        thread.start()
        time.sleep(0.5)  # the flood is under way and the console pipe is full
        began = time.monotonic()
        try:
            home = host.get("/", timeout=5)
        except OSError as exc:
            pytest.fail(f"a request to the host stalled behind the console: {exc!r}")
        assert home.status == 200
        assert time.monotonic() - began < 3
        thread.join(90)  # the whole flood is answered while nobody reads the console
        assert not thread.is_alive(), "the flood request did not finish while the console was stuck"
    finally:
        host.resume_console()
    reply = flood.get("reply")
    assert reply is not None and reply.status == 200, flood  # type: ignore[attr-defined]
    assert host.wait_for_line(_NOTE, 30, start), "no line says how many lines were dropped"
    # a request line shown after the notes: every line of the flood is accounted for by then
    for attempt in range(20):
        host.get(f"/api/after-{attempt}")
        if host.wait_for_line(rf"GET /api/after-{attempt} 404", 2, start):
            break
    else:
        pytest.fail("the console did not recover after the flood")
    dropped = sum(int(m.group(1)) for line in host.lines[start:] if (m := _NOTE.search(line)))
    shown = sum(1 for line in host.lines[start:] if "flood line" in line)
    assert 0 < dropped and shown < lines
    # every flood line is either shown or counted (the other lines that may have been dropped:
    # the two request lines and the requests above)
    assert lines <= shown + dropped <= lines + 2 + attempt
