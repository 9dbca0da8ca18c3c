"""The Durable HTTP API's wire contract as the extension gives it (status codes, headers, fields,
paging), suspend / resume / restart / rewind through the library's client, durable HTTP
(call_http) against a loopback server, events kept across continue-as-new, and the system key
under --enable-auth; all through the real local host and worker."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from typing import Any

import pytest
from aiohttp import web

from tests.integration.hostproc import LocalHostProcess, request
from tests.integration.test_host_durable_run import API, copy_app, start, wait_done


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with LocalHostProcess(copy_app(tmp_path_factory.mktemp("durable_api"))) as running:
        yield running


def wait_status(url: str, wanted: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        seen = request(url).json()
        if seen["runtimeStatus"] == wanted:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"not {wanted} after {timeout}s: {seen}")


def test_status_codes_headers_and_fields_of_get_status(host):
    links = start(host, "approval", "30")
    url = links["statusQueryGetUri"]
    running = request(url)
    assert running.status == 202
    assert running.headers["Location"] == url  # the request's own URL, as the extension
    assert running.headers["Retry-After"] == "5"
    assert set(running.json()) == {
        "name",
        "instanceId",
        "runtimeStatus",
        "input",
        "customStatus",
        "output",
        "createdTime",
        "lastUpdatedTime",
    }
    assert running.json()["input"] == 30
    assert request(url + "&showInput=false").json()["input"] is None
    assert host.post(f"/api/manage/{links['id']}/terminate").status == 200
    done = request(url)
    assert done.status == 200 and "Location" not in done.headers
    failed = start(host, "broken")
    wait_done(failed["statusQueryGetUri"])
    assert request(failed["statusQueryGetUri"]).status == 200  # Failed: 200 unless asked for 500
    assert request(failed["statusQueryGetUri"] + "&returnInternalServerErrorOnFailure=true").status == 500
    missing = request(f"{host.url}{API}instances/nobody")
    assert missing.status == 404 and missing.body == b""


def test_check_status_response_of_the_api_start(host):
    reply = request(f"{host.url}{API}orchestrators/hello_orchestrator", "POST", b"")
    assert reply.status == 202
    body = reply.json()
    assert list(body) == [
        "id",
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
        "restartPostUri",
        "suspendPostUri",
        "resumePostUri",
    ]
    assert reply.headers["Location"] == body["statusQueryGetUri"] and reply.headers["Retry-After"] == "10"
    assert body["statusQueryGetUri"].endswith("?taskHub=TestHubName&connection=Storage")
    wait_done(body["statusQueryGetUri"])
    again = request(f"{host.url}{API}orchestrators/approval/fixed-id", "POST", b"30")
    assert again.status == 202
    assert request(f"{host.url}{API}orchestrators/approval/fixed-id", "POST", b"30").status == 409
    request(again.json()["terminatePostUri"].replace("{text}", "x"), "POST")


def test_raise_event_answers(host):
    links = start(host, "approval", "30")
    url = links["sendEventPostUri"].replace("{eventName}", "Approval")
    plain = request(url, "POST", b'{"approved": true}', {"Content-Type": "text/plain"})
    assert plain.status == 400 and "application/json" in plain.text
    assert request(url, "POST", b"{nope", {"Content-Type": "application/json"}).status == 400
    assert request(url, "POST", b'{"approved": true}', {"Content-Type": "application/json"}).status == 202
    wait_done(links["statusQueryGetUri"])
    assert request(url, "POST", b"{}", {"Content-Type": "application/json"}).status == 410
    gone = links["terminatePostUri"].replace("{text}", "late")
    assert request(gone, "POST").status == 410


def test_purge_answers(host):
    links = start(host, "approval", "30")
    assert request(links["purgeHistoryDeleteUri"], "DELETE").status == 412  # still running
    request(links["terminatePostUri"].replace("{text}", "x"), "POST")
    purged = request(links["purgeHistoryDeleteUri"], "DELETE")
    assert purged.status == 200 and purged.json() == {"instancesDeleted": 1}
    assert request(links["purgeHistoryDeleteUri"], "DELETE").status == 404
    no_from = request(f"{host.url}{API}instances/?runtimeStatus=Completed", "DELETE")
    assert no_from.status == 400 and "createdTimeFrom" in no_from.text
    assert request(f"{host.url}{API}instances/?createdTimeFrom=2999-01-01T00:00:00Z", "DELETE").status == 404


def test_list_shows_input_and_pages_with_a_continuation_token(host):
    ids = [start(host, "hello_orchestrator")["id"] for _ in range(3)]
    prefix = f"{host.url}{API}instances/?runtimeStatus=Completed,Running,Pending"
    first = request(prefix + "&top=2")
    assert first.status == 200 and len(first.json()) == 2
    token = first.headers["x-ms-continuation-token"]
    assert token
    seen = [i["instanceId"] for i in first.json()]
    for _ in range(50):  # bounded: there are only so many instances in this module's host
        page = request(prefix + "&top=2", headers={"x-ms-continuation-token": token})
        seen += [i["instanceId"] for i in page.json()]
        token = page.headers.get("x-ms-continuation-token", "")
        if not token:
            break
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    listed = request(f"{host.url}{API}instances/?runtimeStatus=Running").json()
    assert all("input" in i for i in listed)
    approval = start(host, "approval", "30")
    shown = {i["instanceId"]: i for i in request(f"{host.url}{API}instances/").json()}
    assert shown[approval["id"]]["input"] == 30  # showInput defaults to true, as the extension
    request(approval["terminatePostUri"].replace("{text}", "x"), "POST")


def test_suspend_and_resume_through_the_client(host):
    links = start(host, "approval", "30")
    host.wait_for_line(rf"Orchestration approval \({links['id']}\): Running")
    assert host.post(f"/api/manage/{links['id']}/suspend").status == 200
    suspended = request(links["statusQueryGetUri"])
    assert suspended.status == 202 and suspended.json()["runtimeStatus"] == "Suspended"
    assert host.post(f"/api/manage/{links['id']}/approve").status == 200  # the event waits
    time.sleep(0.5)
    assert request(links["statusQueryGetUri"]).json()["runtimeStatus"] == "Suspended"
    assert host.post(f"/api/manage/{links['id']}/resume").status == 200
    done = wait_done(links["statusQueryGetUri"], 20)
    assert done["output"] == {"approved": True}
    history = request(links["statusQueryGetUri"] + "&showHistory=true").json()["historyEvents"]
    kinds = [e["EventType"] for e in history]
    assert kinds.index("ExecutionSuspended") < kinds.index("ExecutionResumed")
    assert host.wait_for_line(rf"Orchestration approval \({links['id']}\): Suspended")
    assert request(links["suspendPostUri"].replace("{text}", "x"), "POST").status == 410


def test_restart_and_rewind_through_the_client(host):
    links = start(host, "hello_orchestrator")
    wait_done(links["statusQueryGetUri"])
    reply = host.post(f"/api/manage/{links['id']}/restart")
    assert reply.status == 200, reply.text
    payload = reply.json()  # the library hands back the API's check-status payload
    new_id = payload["id"]
    assert new_id != links["id"]
    assert wait_done(payload["statusQueryGetUri"])["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]
    same = host.post(f"/api/manage/{links['id']}/restart_same")
    assert same.status == 200 and same.json()["id"] == links["id"]
    assert wait_done(links["statusQueryGetUri"])["runtimeStatus"] == "Completed"
    assert request(f"{host.url}{API}instances/nobody/restart", "POST").status == 400
    assert request(links["restartPostUri"], "POST").status == 202
    completed = host.post(f"/api/manage/{links['id']}/rewind")
    assert completed.status == 409 and 'only orchestrations in the "Failed" state' in completed.text  # 412
    failed = start(host, "broken")
    wait_done(failed["statusQueryGetUri"])
    rewind = request(f"{host.url}{API}instances/{failed['id']}/rewind?reason=r", "POST")
    assert rewind.status == 501 and "Rewind is not supported" in rewind.text


class _Target:
    """A loopback aiohttp server for call_http: echoes, and a 202 polled until done."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.polls = 0
        self.url = ""
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def _echo(self, request: web.Request) -> web.Response:
        body = await request.text()
        return web.json_response({"got": body, "header": request.headers.get("X-Test")}, status=201)

    async def _slow(self, request: web.Request) -> web.Response:
        return web.Response(status=202, headers={"Location": "/status", "Retry-After": "0"})

    async def _status(self, request: web.Request) -> web.Response:
        self.polls += 1
        if self.polls < 3:
            return web.Response(status=202, headers={"Location": "/status", "Retry-After": "0"})
        return web.Response(status=200, text="finished")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/echo", self._echo)
        app.router.add_post("/slow", self._slow)
        app.router.add_get("/status", self._status)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> _Target:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_call_http_is_made_by_the_host_and_polls_a_202(host):
    with _Target() as target:
        echo = start(host, "http_caller", json.dumps({"uri": f"{target.url}/echo", "content": {"a": 1}}))
        reply = wait_done(echo["statusQueryGetUri"])
        assert reply["runtimeStatus"] == "Completed", reply
        output = reply["output"]
        assert output["statusCode"] == 201
        assert json.loads(output["content"]) == {"got": '{"a": 1}', "header": "durable"}
        assert output["headers"]["Content-Type"].startswith("application/json")
        slow = start(host, "http_caller", json.dumps({"uri": f"{target.url}/slow"}))
        polled = wait_done(slow["statusQueryGetUri"])["output"]
        assert polled["statusCode"] == 200 and polled["content"] == "finished" and target.polls == 3
    nowhere = start(host, "http_caller", json.dumps({"uri": "http://127.0.0.1:9/none"}))
    failed = wait_done(nowhere["statusQueryGetUri"])
    assert failed["runtimeStatus"] == "Failed" and "call_http failed" in failed["output"]


def test_an_event_raised_during_the_episode_that_continues_as_new_reaches_the_next_generation(host):
    import os

    app = host.app
    for name in ("carry.started", "carry.go"):
        if os.path.exists(os.path.join(app, name)):
            os.remove(os.path.join(app, name))
    links = start(host, "carry_events")
    deadline = time.monotonic() + 20
    while not os.path.exists(os.path.join(app, "carry.started")) and time.monotonic() < deadline:
        time.sleep(0.02)
    url = links["sendEventPostUri"].replace("{eventName}", "Add")
    assert request(url, "POST", b"7", {"Content-Type": "application/json"}).status == 202
    with open(os.path.join(app, "carry.go"), "w", encoding="utf-8") as f:
        f.write("go")
    done = wait_done(links["statusQueryGetUri"], 30)
    assert done["output"] == {"generation": 1, "event": 7}


def test_the_api_needs_the_system_key_under_enable_auth(tmp_path):
    master = "master-key-for-durable"
    env = {"FUNCTIONS_ADMIN_KEY": master}
    with LocalHostProcess(copy_app(tmp_path), ["--enable-auth"], env=env) as secured:
        reply = secured.get("/api/orchestrators/hello_orchestrator")  # an anonymous starter
        assert reply.status == 202, reply.text
        links = reply.json()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(links["statusQueryGetUri"]).query)
        key = query["code"][0]
        assert key and key != master
        assert secured.wait_for_line(rf"system key durabletask_extension: {key}")
        assert wait_done(links["statusQueryGetUri"])["runtimeStatus"] == "Completed"
        bare = f"{secured.url}{API}instances/{links['id']}"
        assert request(bare).status == 401
        assert request(bare + "?code=wrong").status == 401
        assert request(bare, headers={"x-functions-key": key}).status == 200
        assert request(bare + f"?code={master}").status == 200
        assert request(f"{secured.url}{API}orchestrators/hello_orchestrator", "POST", b"").status == 401
        # the library's client calls the API on its RPC side, without a key
        assert secured.post(f"/api/manage/{links['id']}/status").text.startswith("Completed|")


def test_any_state_lets_a_start_replace_a_running_instance(tmp_path):
    app = copy_app(tmp_path)
    (tmp_path / "app" / "host.json").write_text(
        '{"version": "2.0", "extensions": {"durableTask": {"overridableExistingInstanceStates": "AnyState"}}}'
    )
    with LocalHostProcess(app) as replacing:
        first = request(f"{replacing.url}{API}orchestrators/approval/same", "POST", b"30")
        assert first.status == 202
        replacing.wait_for_line(r"Orchestration approval \(same\): Running")
        second = request(f"{replacing.url}{API}orchestrators/approval/same", "POST", b"1")
        assert second.status == 202, second.text
        done = wait_done(second.json()["statusQueryGetUri"], 20)
        assert done["output"] == "timed out" and done["input"] == 1
