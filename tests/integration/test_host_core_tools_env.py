"""What Core Tools puts in the environment the worker inherits, besides the Values of
local.settings.json (azure-functions-core-tools StartHostAction.GetConfigurationSettings):
each ConnectionStrings entry as ``ConnectionStrings:NAME`` and WEBSITE_HOSTNAME as the address
it listens on (localhost:PORT)."""

from __future__ import annotations

from tests.azurite import free_port
from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


def test_connection_strings_reach_the_worker_as_settings():
    with LocalHostProcess(app_path("public_settings")) as host:
        values = host.get("/api/settings").json()
    assert values["GREETING"] == "hello"
    assert values["ConnectionStrings:SqlDb"] == "Server=127.0.0.1;Database=app"
    assert values["ConnectionStrings:Other"] == "Server=127.0.0.1;Database=other"  # the object form


def test_website_hostname_is_the_local_address_and_the_environment_wins():
    port = free_port()
    with LocalHostProcess(app_path("public_settings"), args=["--port", str(port)]) as host:
        assert host.get("/api/settings").json()["WEBSITE_HOSTNAME"] == f"localhost:{port}"
    env = {"WEBSITE_HOSTNAME": "example.test", "ConnectionStrings:SqlDb": "from the environment"}
    with LocalHostProcess(app_path("public_settings"), env=env) as host:
        values = host.get("/api/settings").json()
    assert values["WEBSITE_HOSTNAME"] == "example.test"
    assert values["ConnectionStrings:SqlDb"] == "from the environment"
