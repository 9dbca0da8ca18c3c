"""function.json as the host reads it: its JSON reader (Newtonsoft JObject.Parse) accepts
// and /* */ comments and trailing commas, so a v1 function written that way loads and serves."""

from __future__ import annotations

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request


def test_a_function_json_with_comments_and_trailing_commas_loads():
    with LocalHostProcess(app_path("public_v1_comments")) as host:
        reply = host.get("/api/Hello?name=json")
        assert (reply.status, reply.text) == (200, "hello json"), host.output()
        assert request(host.url + "/api/Hello", "POST", b"").status == 200
        assert request(host.url + "/api/Hello", "PUT", b"").status == 404  # its methods were read
        assert "error" not in host.output()
