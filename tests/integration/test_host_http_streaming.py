"""HTTP streaming through the local host (azurefunctions-extensions-http-fastapi): requests are
proxied to the worker's own server and stream both ways; route values, JSON, failures, and the
mix of classic and streaming functions."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import threading
import time

import psutil
import pytest

from tests.helpers import app_path, write_app
from tests.integration.hostproc import LocalHostProcess, run_host_command

MIB = 1024 * 1024
#: seconds between two server-sent events of the test app
GAP = 0.5


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("http_streaming"), env={"SSE_EVENT_GAP": str(GAP)}) as running:
        yield running


def _connection(host: LocalHostProcess, timeout: float = 30.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", host.port, timeout=timeout)


def test_server_sent_events_reach_the_client_one_by_one(host):
    conn = _connection(host)
    try:
        conn.request("GET", "/api/sse?count=10")
        response = conn.getresponse()
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events: list[tuple[float, dict]] = []  # (received at, event)
        buffer = b""
        deadline = time.time() + 30
        while time.time() < deadline and not (events and events[-1][1].get("done")):
            chunk = response.read1(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n\n" in buffer:
                line, buffer = buffer.split(b"\n\n", 1)
                events.append((time.time(), json.loads(line.removeprefix(b"data: "))))
    finally:
        conn.close()
    assert [e.get("n") for _, e in events] == [*range(10), None]
    done_at = events[-1][1]["t"]
    first_received = events[0][0]
    # the first event arrived long before the function's stream ended (10 events, GAP apart)
    assert first_received < done_at - 5 * GAP, (first_received, done_at)
    # and each event arrived before the one two steps later was even made (slack for a busy machine)
    for (received, event), (_, later) in zip(events, events[2:], strict=False):
        assert received < later["t"], (event, received, later)


def _sample_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    process = psutil.Process(pid)
    for _ in range(10_000):  # bounded: 50 ms apart, ends with the upload at the latest
        if stop.is_set():
            return
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.Error:
            return
        time.sleep(0.05)


def test_a_100_mib_upload_streams_through_without_being_held(host):
    size = 100 * MIB  # the host's default body size limit, exactly
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    for _ in range(100):
        digest.update(block)
    pid = host.proc.pid
    before = psutil.Process(pid).memory_info().rss
    peak = [before]
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(pid, stop, peak), daemon=True)
    sampler.start()
    sent_all_at = [0.0]

    def body():
        for _ in range(100):
            yield block
        sent_all_at[0] = time.time()

    conn = _connection(host, timeout=120)
    try:
        conn.request(
            "POST",
            "/api/upload",
            body=body(),
            encode_chunked=True,
            headers={"Transfer-Encoding": "chunked", "Content-Type": "application/octet-stream"},
        )
        response = conn.getresponse()
        result = json.loads(response.read())
    finally:
        conn.close()
        stop.set()
        sampler.join(10)
    assert response.status == 200, result
    assert result["size"] == size and result["sha256"] == digest.hexdigest()
    assert result["chunks"] > 10  # read as it came, in many pieces
    assert result["first_chunk_at"] < sent_all_at[0]  # the function read before the client finished
    grown = (peak[0] - before) / MIB
    print(f"host RSS before {before / MIB:.0f} MiB, peak {peak[0] / MIB:.0f} MiB during the 100 MiB upload")
    assert grown < 40, f"the host's memory grew by {grown:.0f} MiB during a 100 MiB upload"


def test_a_body_over_the_limit_is_refused_before_it_is_forwarded(host):
    conn = _connection(host)
    try:
        conn.putrequest("POST", "/api/upload")
        conn.putheader("Content-Length", str(100 * MIB + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert b"--max-body-size" in response.read()
    finally:
        conn.close()


def test_route_values_query_headers_and_json(host):
    # a client's own x-ms-invocation-id is replaced by the host's
    reply = host.post("/api/items/books/7?sort=asc", b"", headers={"x-test": "1", "x-ms-invocation-id": "not-mine"})
    assert reply.status == 201
    assert reply.headers["x-items"] == "yes"
    assert reply.json() == {"params": {"category": "books", "id": "7"}, "query": {"sort": "asc"}, "method": "POST"}
    assert host.get("/api/items/books/seven").status == 404  # the host's route constraint
    reply = host.get("/api/plain?name=Ada", headers={"x-test": "through"})
    assert reply.status == 200 and reply.json() == {"hello": "Ada", "header": "through"}
    assert host.wait_for_line(r"GET /api/plain 200 .* -> plain", 10)


def test_an_exception_answers_500_and_fails_the_invocation(host):
    start = len(host.lines)
    reply = host.get("/api/boom")
    assert reply.status == 500
    assert host.wait_for_line(r"boom \(\w+\) failed: ValueError: boom from the streaming function", 10, start)
    assert host.get("/api/plain").status == 200  # still serving


def test_a_streaming_app_without_init_indexing_is_told_the_setting(tmp_path):
    app = write_app(
        tmp_path,
        {
            "host.json": '{"version": "2.0"}',
            "local.settings.json": '{"Values": {"FUNCTIONS_WORKER_RUNTIME": "python", "AzureWebJobsStorage": ""}}',
            "function_app.py": (
                "import azure.functions as func\n"
                "from azurefunctions.extensions.http.fastapi import Request, Response\n"
                "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n"
                "@app.route(route='hi')\n"
                "async def hi(req: Request) -> Response:\n"
                "    return Response('hi')\n"
            ),
        },
    )
    result = run_host_command(str(app))  # an index error: the host stops at start-up with it
    assert result.returncode == 1
    assert "could not index the app" in result.stdout
    assert '"PYTHON_ENABLE_INIT_INDEXING": "1" to "Values" in local.settings.json' in result.stdout


def test_classic_and_streaming_functions_cannot_be_mixed(tmp_path):
    app = str(tmp_path / "app")
    shutil.copytree(app_path("http_streaming_mixed"), app)  # the host writes its store there
    with LocalHostProcess(app) as running:
        reply = running.get("/api/new")
        assert (reply.status, reply.text) == (200, "new")
        reply = running.get("/api/old")
        assert reply.status == 500
        assert "annotated azure.functions.HttpRequest" in reply.text
        assert "cannot be mixed" in reply.text


def test_each_request_goes_to_the_server_of_the_worker_running_its_invocation():
    env = {"FUNCTIONS_WORKER_PROCESS_COUNT": "2", "SSE_EVENT_GAP": "0.3"}
    with LocalHostProcess(app_path("http_streaming"), env=env) as running:
        assert len(running.worker_pids()) == 2
        results: list[tuple[int, bytes]] = []

        def call() -> None:
            reply = running.get("/api/sse?count=2", timeout=30)
            results.append((reply.status, reply.body))

        threads = [threading.Thread(target=call) for _ in range(6)]
        started = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(40)
        assert len(results) == 6
        assert all(status == 200 and body.count(b"data: ") == 3 for status, body in results), results
        assert time.time() - started < 30  # none waited for a request sent to the other worker
        served = running.output()  # each worker's server logged requests (uvicorn's access lines)
        for pid in running.worker_pids():
            assert re.search(rf"pid {pid}\] INFO: .*\"GET /api/sse", served), served


def test_a_stream_that_breaks_after_its_headers_cuts_the_connection(host):
    conn = _connection(host)
    try:
        conn.request("GET", "/api/broken")
        response = conn.getresponse()
        assert response.status == 200  # sent before the stream broke
        with pytest.raises((http.client.IncompleteRead, ConnectionError)) as cut:
            for _ in range(100):  # bounded: the cut comes after the first event
                if not response.read1(65536):
                    break
        assert cut.value is not None
    finally:
        conn.close()
    assert host.wait_for_line(r"GET /api/broken 200 .*connection cut", 10)
    assert host.get("/api/plain").status == 200


def test_a_restarted_worker_serves_from_its_new_server():
    with LocalHostProcess(app_path("http_streaming")) as running:
        assert running.get("/api/plain").status == 200
        (pid,) = running.worker_pids()
        start = len(running.lines)
        psutil.Process(pid).kill()
        assert running.wait_for_line(r"started \(restart\)", 30, start), running.output()
        reply = running.get("/api/plain?name=again")
        assert reply.status == 200 and reply.json()["hello"] == "again"
        assert running.worker_pids() != [pid]
