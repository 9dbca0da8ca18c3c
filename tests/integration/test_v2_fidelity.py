"""A v2 app's HTTP outputs accept what the official worker accepts (issue 14, point 2), through a
worker process: every kind of value from ``tests/apps/v1_fidelity/SharedCode/values.py``, returned
from an ``@app.route`` function and set on an ``Out`` http binding."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickfunc.host.request_builders import http_request
from tests.helpers import FAILURE, SUCCESS, app_path, index_and_load, run, write_v2_app
from tests.integration.fakehost import start_worker
from tests.integration.test_v1_fidelity import ACCEPTED, VALUES

SCRIPT = """
import azure.functions as func

from values import VALUES

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ret")
def ret(req: func.HttpRequest):
    return VALUES[req.params["kind"]]()


@app.route(route="out", binding_arg_name="res")
def out(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(VALUES[req.params["kind"]]())
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """{(function, kind): (succeeded, failure message)} for every kind of value."""
    values = Path(app_path("v1_fidelity"), "SharedCode", "values.py").read_text(encoding="utf-8")
    app = write_v2_app(tmp_path_factory.mktemp("v2_fidelity"), SCRIPT, {"values.py": values})

    async def go():
        found = {}
        async with start_worker(app) as host:
            ids = await index_and_load(host)
            for function in ("ret", "out"):
                for kind in VALUES:
                    req = http_request("GET", f"http://localhost/api/{function}?kind={kind}")
                    resp = await host.invoke(ids[function], {"req": req})
                    found[function, kind] = (resp.result.status == SUCCESS, resp.result.exception.message)
                    assert resp.result.status in (SUCCESS, FAILURE)
        return found

    return run(go())


def test_route_return_values_succeed_only_when_the_official_worker_accepts_them(outcomes):
    succeeded = {kind for kind in VALUES if outcomes["ret", kind][0]}
    assert succeeded == ACCEPTED
    assert "return func.HttpResponse(" in outcomes["ret", "dict"][1]


def test_out_values_succeed_when_accepted_or_left_at_none(outcomes):
    succeeded = {kind for kind in VALUES if outcomes["out", kind][0]}
    assert succeeded == ACCEPTED | {"none"}
    assert "call res.set(func.HttpResponse(" in outcomes["out", "bytes"][1]
