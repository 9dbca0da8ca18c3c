"""Durable Functions run by the local host's engine, through real HTTP and a real worker: the
quickstart (chaining + check-status URLs), fan-out/fan-in, human interaction, sub-orchestration
with retry, continue-as-new, failures and the management API."""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request

API = "/runtime/webhooks/durabletask/"


def copy_app(tmp_path: Any, settings: dict[str, str] | None = None) -> str:
    """The test app in a folder of its own, so that each test run has a fresh store."""
    target = tmp_path / "app"
    shutil.copytree(app_path("host_durable_run"), target, ignore=shutil.ignore_patterns(".quickfunc"))
    if settings:
        (target / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": settings}))
    return str(target)


def wait_done(url: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a statusQueryGetUri until the instance is no longer running (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = request(url)
        if reply.status != 202:
            assert reply.status == 200, (reply.status, reply.text)
            return reply.json()
        time.sleep(0.1)
    raise AssertionError(f"still running after {timeout}s: {request(url).text}")


def start(host: LocalHostProcess, name: str, body: str = "") -> dict[str, Any]:
    reply = host.post(f"/api/orchestrators/{name}", body) if body else host.get(f"/api/orchestrators/{name}")
    assert reply.status == 202, reply.text
    return reply.json()


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    with LocalHostProcess(copy_app(tmp_path_factory.mktemp("durable"))) as running:
        yield running


def test_quickstart_chaining_with_check_status_response(host):
    reply = host.get("/api/orchestrators/hello_orchestrator")
    assert reply.status == 202
    links = reply.json()
    assert reply.headers["Location"] == links["statusQueryGetUri"]
    assert links["statusQueryGetUri"].startswith(f"{host.url}{API}instances/{links['id']}")
    status = wait_done(links["statusQueryGetUri"])
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]
    assert status["name"] == "hello_orchestrator" and status["instanceId"] == links["id"]
    with_history = request(links["statusQueryGetUri"] + "&showHistory=true&showHistoryOutput=true").json()
    kinds = [e["EventType"] for e in with_history["historyEvents"]]
    assert kinds.count("TaskScheduled") == 3 and kinds.count("TaskCompleted") == 3
    assert kinds[-1] == "ExecutionCompleted"
    assert host.wait_for_line(rf"Orchestration hello_orchestrator \({links['id']}\): Completed")


def test_wait_for_completion_returns_the_output(host):
    reply = host.get("/api/wait/hello_orchestrator")
    assert reply.status == 200, reply.text
    assert reply.json() == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_fan_out_fan_in_of_50_activities(host):
    links = start(host, "fan_out", "50")
    status = wait_done(links["statusQueryGetUri"])
    assert status["output"] == sum(i * i for i in range(50))
    assert status["customStatus"] == {"count": 50}
    assert status["input"] == 50


def test_human_interaction_event_before_the_timeout(host):
    links = start(host, "approval", "30")
    host.wait_for_line(rf"Orchestration approval \({links['id']}\): Running")
    reply = host.post(f"/api/manage/{links['id']}/approve")
    assert reply.status == 200, reply.text
    assert wait_done(links["statusQueryGetUri"], 20)["output"] == {"approved": True}


def test_human_interaction_timer_wins_without_the_event(host):
    links = start(host, "approval", "1")
    status = wait_done(links["statusQueryGetUri"], 20)
    assert status["output"] == "timed out"
    # the event now arrives too late: the client gets the 410 and says so
    reply = host.post(f"/api/manage/{links['id']}/approve")
    assert reply.status == 500 and "is gone" in reply.text


def test_raise_event_with_curl_json_body(host):
    links = start(host, "approval", "30")
    url = links["sendEventPostUri"].replace("{eventName}", "Approval")
    assert request(url, "POST", b'{"approved": false}', {"Content-Type": "application/json"}).status == 202
    assert wait_done(links["statusQueryGetUri"], 20)["output"] == {"approved": False}


def test_sub_orchestration_with_retry_and_activity_retry(host):
    links = start(host, "parent")
    status = wait_done(links["statusQueryGetUri"])
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == ["ok after 2", 25]
    children = request(f"{host.url}{API}instances/?instanceIdPrefix={links['id']}:").json()
    by_status = sorted((c["name"], c["runtimeStatus"]) for c in children)
    assert by_status == [("child_ok", "Completed"), ("flaky_child", "Completed"), ("flaky_child", "Failed")]


def test_continue_as_new(host):
    links = start(host, "counter_loop", "0")
    assert wait_done(links["statusQueryGetUri"])["output"] == 3
    assert host.count(rf"Orchestration counter_loop \({links['id']}\): ContinuedAsNew") == 3


def test_an_orchestrator_that_raises_fails_its_instance(host):
    links = start(host, "broken")
    status = wait_done(links["statusQueryGetUri"])
    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == "Orchestrator function 'broken' failed: the orchestrator broke"
    # the custom status set before the raise stays, as the extension keeps it
    assert status["customStatus"] == {"stage": "after the greeting"}
    assert host.wait_for_line(rf"Orchestration broken \({links['id']}\): Failed: .*the orchestrator broke")


def test_terminate_status_and_purge_through_the_client(host):
    links = start(host, "approval", "60")
    host.wait_for_line(rf"Orchestration approval \({links['id']}\): Running")
    assert host.post(f"/api/manage/{links['id']}/terminate").status == 200
    assert host.post(f"/api/manage/{links['id']}/status").text == "Terminated|stopped by test"
    assert wait_done(links["statusQueryGetUri"])["runtimeStatus"] == "Terminated"
    assert host.post(f"/api/manage/{links['id']}/purge").text == "1"
    assert request(links["statusQueryGetUri"]).status == 404


def test_starting_an_unknown_orchestrator_fails_the_starter_with_the_reason(host):
    reply = host.get("/api/orchestrators/no_such_orchestrator")
    assert reply.status == 500
    assert "The function 'no_such_orchestrator' doesn't exist" in reply.text


def test_list_and_query_instances(host):
    links = start(host, "hello_orchestrator")
    wait_done(links["statusQueryGetUri"])
    listed = request(f"{host.url}{API}instances/?runtimeStatus=Completed").json()
    assert links["id"] in [i["instanceId"] for i in listed]
    assert all(i["runtimeStatus"] == "Completed" for i in listed)
    assert request(f"{host.url}{API}instances/?runtimeStatus=Pending").json() == []
    assert request(f"{host.url}{API}instances/nope").status == 404
    assert request(f"{host.url}{API}entities/counter/nobody").status == 404
    assert request(f"{host.url}{API}instances/x/rewind?reason=r", "POST").status == 404  # unknown instance


def _lines(path: Any) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_kill_mid_fan_out_then_resume_from_history(tmp_path):
    """SIGKILL the host while a fan-out runs and a durable timer waits: the next host resumes
    both from the store; only activities whose completion was not committed run again."""
    import signal

    import psutil

    marker = tmp_path / "ran.txt"
    app = copy_app(tmp_path, {"SQUARE_DELAY": "0.05", "SQUARE_MARKER": str(marker)})
    count, limit = 120, 8  # limit: maxConcurrentActivityFunctions in the app's host.json
    first = LocalHostProcess(app)
    with first:
        fan = start(first, "fan_out", str(count))
        timer = start(first, "approval", "3")
        deadline = time.monotonic() + 60
        while len(_lines(marker)) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.proc is not None
        workers = psutil.Process(first.proc.pid).children(recursive=True)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        for worker in workers:
            worker.kill()
        ran_before = len(_lines(marker))
    assert 40 <= ran_before < count, ran_before
    with LocalHostProcess(app) as second:
        assert second.wait_for_line(r"Durable Functions: resumed \d+ pending", 20), second.output()
        done = wait_done(f"{second.url}{API}instances/{fan['id']}")
        assert done["output"] == sum(i * i for i in range(count))
        assert wait_done(f"{second.url}{API}instances/{timer['id']}", 20)["output"] == "timed out"
    ran = [int(n) for n in _lines(marker)]
    assert sorted(set(ran)) == list(range(count))
    assert len(ran) - count <= limit, f"{len(ran) - count} activities ran twice"


def test_the_v1_function_json_quickstart(tmp_path):
    target = tmp_path / "v1"
    shutil.copytree(app_path("host_durable_v1"), target, ignore=shutil.ignore_patterns(".quickfunc"))
    with LocalHostProcess(str(target)) as v1:
        reply = v1.post("/api/orchestrators/HelloOrchestrator")
        assert reply.status == 202, reply.text
        status = wait_done(reply.json()["statusQueryGetUri"])
        assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    # the store (made by the durable engine here: the app has no queue or blob) stays out of git
    assert (target / ".quickfunc" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_an_episode_whose_worker_dies_is_replayed_on_the_restarted_worker(host):
    links = start(host, "crash_once")
    status = wait_done(links["statusQueryGetUri"], 60)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == "Hello again"


def test_entity_signal_call_and_state(host):
    links = start(host, "use_counter")
    status = wait_done(links["statusQueryGetUri"])
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == [15, "the counter refuses"]  # the signal ran first, in order
    state = request(f"{host.url}{API}entities/counter/{links['id']}")
    assert state.status == 200 and state.json() == 15


def test_entity_through_the_client(host):
    for _ in range(3):
        assert host.post("/api/entity/k1/add", "2").status == 202
    deadline = time.monotonic() + 20
    seen = None
    while time.monotonic() < deadline:
        seen = host.get("/api/entity/k1/read").json()
        if seen["state"] == 6:
            break
        time.sleep(0.05)
    assert seen == {"exists": True, "state": 6}
    assert host.get("/api/entity/never/read").json() == {"exists": False, "state": None}


def test_hostile_requests_to_the_api_get_one_clear_answer_each(host):
    bad_json = request(f"{host.url}{API}orchestrators/hello_orchestrator", "POST", b"{not json")
    assert bad_json.status == 400 and "must be JSON" in bad_json.text
    assert request(f"{host.url}{API}orchestrators/hello_orchestrator", "POST", b"\xff\xfe").status == 400
    assert request(f"{host.url}{API}instances/x", "PUT").status == 404  # the extension: 404, not 405
    dates = request(f"{host.url}{API}instances/?createdTimeFrom=yesterday")
    assert dates.status == 400 and "createdTimeFrom must be an ISO 8601" in dates.text
    wait_done(start(host, "hello_orchestrator")["statusQueryGetUri"])
    since = request(f"{host.url}{API}instances/?createdTimeFrom=2000-01-01T00:00:00Z")
    assert since.status == 200 and len(since.json()) >= 1
    assert request(f"{host.url}{API}instances/?createdTimeTo=2000-01-01T00:00:00Z").json() == []
    assert request(f"{host.url}{API}nothing/here").status == 404
    assert request(f"{host.url}{API}instances/nope/raiseEvent/E", "POST", b"1").status == 404
    assert request(f"{host.url}{API}instances/nope/terminate", "POST").status == 404
    assert request(f"{host.url}{API}entities/counter/k", "POST", b"1").status == 400  # no ?op=
    assert request(f"{host.url}{API}entities/nobody/k?op=add", "POST", b"1").status == 400
    assert request(f"{host.url}{API}instances/").status == 200  # and the API still serves


def test_a_wrong_durable_task_setting_stops_the_start_naming_it(tmp_path):
    from tests.integration.hostproc import run_host_command

    app = copy_app(tmp_path)
    (tmp_path / "app" / "host.json").write_text(
        '{"version": "2.0", "extensions": {"durableTask": {"maxConcurrentActivityFunctions": 0}}}'
    )
    done = run_host_command(app)
    assert done.returncode == 1
    assert "extensions.durableTask.maxConcurrentActivityFunctions" in done.stdout + done.stderr
    assert "must be a whole number of 1 or more (got 0)" in done.stdout + done.stderr


def test_the_durable_example_app(tmp_path):
    from tests.helpers import REPO_ROOT

    target = tmp_path / "durable_app"
    shutil.copytree(
        os.path.join(REPO_ROOT, "examples", "durable_app"), target, ignore=shutil.ignore_patterns(".quickfunc")
    )
    with LocalHostProcess(str(target)) as example:
        reply = example.get("/api/orchestrators/hello_orchestrator")
        assert reply.status == 202, reply.text
        status = wait_done(reply.json()["statusQueryGetUri"])
        assert status["output"] == ["Hello Seattle", "Hello Tokyo", "Hello London"]
