"""The local host's dev loop over real HTTP: CORS (--cors / Host.CORS) answering preflights and
marking responses, the admin API (function list and one function, ping, host keys) and
--functions serving a subset."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, Reply, request, run_host_command

A, B = "http://a.test:3000", "http://b.test"


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("host_v2"), ["--cors", f"{A}, {B}", "--cors-credentials"]) as running:
        yield running


@pytest.fixture(scope="module")
def v1_host(tmp_path_factory):
    """host_v1 with Host.CORS "*" in its local.settings.json, serving only Greet and QueueReader."""
    app = tmp_path_factory.mktemp("cors") / "app"
    shutil.copytree(app_path("host_v1"), app)
    settings = json.loads((app / "local.settings.json").read_text())
    settings["Host"] = {"CORS": "*"}
    (app / "local.settings.json").write_text(json.dumps(settings))
    with LocalHostProcess(str(app), ["--functions", "Greet", "QueueReader"]) as running:
        yield running


def _call(running: LocalHostProcess, method: str, path: str, **kw) -> Reply:
    return request(running.url + path, method, **kw)


def _cors(reply) -> dict[str, str]:
    return {k: v for k, v in reply.headers.items() if k.lower().startswith("access-control-") or k == "Vary"}


# ---- CORS --------------------------------------------------------------------------------------


def test_preflight_from_an_allowed_origin_is_answered_204_with_its_headers(host):
    reply = _call(
        host,
        "OPTIONS",
        "/api/echo",
        headers={
            "Origin": B,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-one, content-type",
        },
    )
    assert reply.status == 204
    assert _cors(reply) == {
        "Access-Control-Allow-Origin": B,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "PUT",
        "Access-Control-Allow-Headers": "x-one,content-type",
        "Vary": "Origin",
    }
    assert host.wait_for_line(r"OPTIONS /api/echo 204 .*CORS preflight", 5)
    assert "Executed 'echo'" not in host.output()  # answered by the host, not the function


def test_preflight_from_another_origin_gets_204_without_cors_headers(host):
    reply = _call(
        host, "OPTIONS", "/api/echo", headers={"Origin": "http://c.test", "Access-Control-Request-Method": "PUT"}
    )
    assert (reply.status, _cors(reply)) == (204, {})


def test_an_actual_request_from_an_allowed_origin_gets_the_headers(host):
    reply = host.get("/api/hello/ann", headers={"Origin": A})
    assert reply.status == 200 and "ann" in reply.text
    assert _cors(reply) == {
        "Access-Control-Allow-Origin": A,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def test_a_request_from_another_origin_still_runs_without_cors_headers(host):
    reply = host.get("/api/hello/bob", headers={"Origin": "http://c.test"})
    assert reply.status == 200 and "bob" in reply.text
    assert _cors(reply) == {}
    assert _cors(host.get("/api/hello/bob")) == {}  # no Origin: not a cross-origin request


def test_host_answers_get_the_headers_too(host):
    reply = host.get("/api/nowhere", headers={"Origin": A})
    assert reply.status == 404 and reply.headers["Access-Control-Allow-Origin"] == A


def test_star_from_host_cors_answers_any_origin_with_star(v1_host):
    reply = v1_host.get("/v1/greet/ann", headers={"Origin": "http://anything.test"})
    assert reply.status == 200 and _cors(reply) == {"Access-Control-Allow-Origin": "*"}
    preflight = _call(
        v1_host,
        "OPTIONS",
        "/v1/greet/ann",
        headers={"Origin": "http://x.test", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_star_with_credentials_stops_the_host_with_a_clear_error():
    result = run_host_command(app_path("host_v2"), "--cors", "*", "--cors-credentials")
    assert result.returncode == 1
    assert '"*"' in result.stderr and "credentials" in result.stderr


# ---- admin API ---------------------------------------------------------------------------------


def test_admin_functions_lists_every_function_with_its_trigger_and_url(host):
    reply = host.get("/admin/functions")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    functions = {f["name"]: f for f in reply.json()}
    assert {"hello", "forward", "yearly", "echo"} <= set(functions)
    hello = functions["hello"]
    assert hello["invoke_url_template"] == f"{host.url}/api/hello/{{name?}}"
    assert hello["href"] == f"{host.url}/admin/functions/hello"
    assert hello["language"] == "python" and hello["isDisabled"] is False
    trigger = hello["config"]["bindings"][0]
    assert (trigger["type"], trigger["direction"].lower()) == ("httpTrigger", "in")
    forward = functions["forward"]
    assert forward["invoke_url_template"] is None
    assert "queueTrigger" in [b["type"] for b in forward["config"]["bindings"]]


def test_admin_function_by_name_describes_one_and_404s_for_unknown(host):
    reply = host.get("/admin/functions/YEARLY")
    assert reply.status == 200
    assert reply.json()["name"] == "yearly" and reply.json()["config"]["bindings"][0]["type"] == "timerTrigger"
    missing = host.get("/admin/functions/nope")
    assert missing.status == 404 and "nope" in missing.text
    assert _call(host, "PUT", "/admin/functions/yearly").status == 405


def test_ping_answers_200_to_get_and_post(host):
    for method in ("GET", "POST"):
        reply = _call(host, method, "/admin/host/ping")
        assert (reply.status, reply.body) == (200, b"")


def test_host_keys_exist_only_with_enable_auth(host):
    reply = host.get("/admin/host/keys")
    assert reply.status == 404 and "--enable-auth" in reply.text


# ---- --functions ------------------------------------------------------------------------------


def test_functions_option_serves_only_the_named_functions(v1_host):
    out = v1_host.output()
    assert re.search(r"Greet\s+http: \[GET\] .*/v1/greet/", out), out
    assert re.search(r"Respond\s+skipped: not loaded \(not named in --functions\)", out), out
    assert v1_host.get("/v1/greet/ann").status == 200
    assert v1_host.get("/v1/Respond").status == 404
    names = sorted(f["name"] for f in v1_host.get("/admin/functions").json())
    assert names == ["Greet", "QueueReader"]


def test_v1_function_hrefs_point_into_its_folder(v1_host):
    greet = v1_host.get("/admin/functions/greet").json()
    assert greet["config_href"] == f"{v1_host.url}/admin/vfs/Greet/function.json"
    assert greet["script_href"] == f"{v1_host.url}/admin/vfs/Greet/__init__.py"
    assert greet["config"]["scriptFile"] == "__init__.py"


def test_an_unknown_function_name_is_a_start_up_error_listing_the_functions():
    result = run_host_command(app_path("host_v1"), "--functions", "Greet", "Nope")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Nope" in output and "Greet, NoResponse, QueueReader" in output, output
