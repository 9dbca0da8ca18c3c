"""Start-up work the worker does for speed, seen from the function it runs: the collector held
off until the functions are loaded and then back with the usual thresholds, and werkzeug's
package __init__ not run until user code asks for a name from it."""

from __future__ import annotations

import asyncio
import json

from quickfunc.host.request_builders import http_request
from tests.helpers import SUCCESS
from tests.integration.fakehost import start_worker

FUNCTION_JSON = json.dumps(
    {
        "bindings": [
            {"authLevel": "anonymous", "type": "httpTrigger", "direction": "in", "name": "req"},
            {"type": "http", "direction": "out", "name": "$return"},
        ]
    }
)

REPORT = """
import gc
import json
import sys

import azure.functions as func

AT_IMPORT = {"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}


def main(req: func.HttpRequest) -> func.HttpResponse:
    before = "werkzeug.serving" in sys.modules
    from werkzeug import Request, run_simple  # names from the package __init__
    return func.HttpResponse(json.dumps({
        "at_import": AT_IMPORT, "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(),
        "enabled": gc.isenabled(), "serving_before": before,
        "names": [Request.__name__, run_simple.__module__],
    }))
"""


def test_collector_is_back_after_loading_and_werkzeug_names_work_in_user_code(tmp_path):
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    (tmp_path / "Report").mkdir()
    (tmp_path / "Report" / "function.json").write_text(FUNCTION_JSON)
    (tmp_path / "Report" / "__init__.py").write_text(REPORT)

    async def scenario() -> dict:
        async with start_worker(str(tmp_path)) as host:
            loaded = await host.load_v1_app()
            function_id, load = loaded["Report"]
            assert load.result.status == SUCCESS, load.result.exception.message
            await asyncio.sleep(0.5)  # past the resume delay after the last load
            reply = await host.invoke(function_id, {"req": http_request("GET", "http://x/api/r")})
            assert reply.result.status == SUCCESS, reply.result.exception.message
            return json.loads(reply.return_value.http.body.bytes)

    seen = asyncio.run(asyncio.wait_for(scenario(), 60))
    import gc

    # held while the app was imported, nothing frozen yet (3.12 starts with a few hundred)
    assert seen["at_import"]["threshold"] == 0 and seen["at_import"]["frozen"] < 1000
    assert seen["threshold"] == list(gc.get_threshold()) and seen["enabled"] is True
    assert seen["frozen"] > 10_000  # start-up objects frozen out of later collections
    assert seen["serving_before"] is False
    assert seen["names"] == ["Request", "werkzeug.serving"]
