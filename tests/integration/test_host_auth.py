"""--enable-auth: function and admin keys from the environment, header or ?code=, 401 without
invoking the function."""

from __future__ import annotations

import re

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess

HOST_KEY = "host-key-123"
ADMIN_KEY = "master-key-456"
SECURE_KEY = "secure-only-789"


@pytest.fixture(scope="module")
def host():
    env = {"FUNCTIONS_HOST_KEY": HOST_KEY, "FUNCTIONS_ADMIN_KEY": ADMIN_KEY, "FUNCTIONS_KEY_SECURE": SECURE_KEY}
    with LocalHostProcess(app_path("host_v2"), ["--enable-auth"], env=env) as running:
        yield running


def test_function_level_needs_a_key_and_is_not_invoked_without_one(host):
    for headers, path in (
        ({}, "/api/secure"),
        ({"x-functions-key": "wrong"}, "/api/secure"),
        ({}, "/api/secure?code=wrong"),
    ):
        reply = host.get(path, headers=headers)
        assert reply.status == 401
        assert "x-functions-key" in reply.text
    assert host.wait_for_line(r"GET /api/secure 401", 2)
    assert "secure invoked" not in host.output()


@pytest.mark.parametrize("how", ["header-host-key", "code-function-key", "header-master-key"])
def test_function_level_accepts_host_function_or_master_key(host, how):
    if how == "header-host-key":
        reply = host.get("/api/secure", headers={"x-functions-key": HOST_KEY})
    elif how == "code-function-key":
        reply = host.get(f"/api/secure?code={SECURE_KEY}")
    else:
        reply = host.get("/api/secure", headers={"x-functions-key": ADMIN_KEY})
    assert (reply.status, reply.text) == (200, "secret")


def test_admin_level_needs_the_master_key(host):
    assert host.get("/api/admin-only", headers={"x-functions-key": HOST_KEY}).status == 401
    assert host.get(f"/api/admin-only?code={ADMIN_KEY}").text == "admin secret"


def test_anonymous_functions_need_no_key(host):
    assert host.get("/api/hello/anon").status == 200


def test_admin_endpoints_need_the_master_key(host):
    assert host.post("/admin/functions/forward", '{"input": "x"}').status == 401
    assert host.post("/admin/functions/forward", '{"input": "x"}', headers={"x-functions-key": HOST_KEY}).status == 401
    assert host.post("/admin/functions/forward", '{"input": "x"}', headers={"x-functions-key": ADMIN_KEY}).status == 202


def test_admin_function_list_and_host_keys_need_the_master_key(host):
    for path in ("/admin/functions", "/admin/functions/forward", "/admin/host/keys"):
        assert host.get(path).status == 401, path
        assert host.get(path, headers={"x-functions-key": HOST_KEY}).status == 401, path
        assert host.get(path, headers={"x-functions-key": ADMIN_KEY}).status == 200, path
    keys = host.get(f"/admin/host/keys?code={ADMIN_KEY}").json()
    assert keys["keys"] == [{"name": "default", "value": HOST_KEY}]
    assert keys["links"] == [{"rel": "self", "href": f"{host.url}/admin/host/keys"}]


def test_ping_needs_no_key(host):
    assert host.get("/admin/host/ping").status == 200


def test_missing_keys_are_generated_and_printed_at_start():
    with LocalHostProcess(app_path("host_v2"), ["--enable-auth"]) as host:
        out = host.output()
        master_line = re.search(r"master key \(admin\): (\S+)", out)
        key_line = re.search(r"host key: (\S+)", out)
        assert master_line is not None and key_line is not None, out
        master, key = master_line.group(1), key_line.group(1)
        assert len(master) >= 32 and len(key) >= 32 and master != key
        assert host.get("/api/secure").status == 401
        assert host.get("/api/secure", headers={"x-functions-key": key}).text == "secret"
