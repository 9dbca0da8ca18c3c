"""Apps whose own modules are named worker, host, app and functions import their own modules, not
the language worker's (its import package is `quickfunc`)."""

from __future__ import annotations

from quickfunc.host.request_builders import http_request, indexed_load_metadata
from tests.helpers import SUCCESS, app_path, http, run
from tests.integration.fakehost import start_worker

EXPECTED = b"worked:x|app-host|app-app|Y"


def test_v1_app_imports_its_own_worker_host_app_and_functions_modules(live_worker_factory):
    worker = live_worker_factory(app_path("v1_own_modules"))
    response = worker.invoke("Own", {"req": http()})
    assert response.result.status == SUCCESS, response.result.exception.message
    assert response.return_value.http.body.bytes == EXPECTED


def test_v2_app_imports_its_own_worker_host_app_and_functions_modules():
    async def go():
        async with start_worker(app_path("v2_own_modules")) as host:
            index = await host.channel.functions_metadata(host.app_dir)
            assert index.result.status == SUCCESS, index.result.exception.message
            [function] = index.function_metadata_results
            assert function.status.status == SUCCESS, function.status.exception.message
            loaded = await host.channel.load(function.function_id, indexed_load_metadata(function))
            assert loaded.result.status == SUCCESS, loaded.result.exception.message
            return await host.invoke(function.function_id, {"req": http_request("GET", "http://x/api/own")})

    response = run(go(), 60)
    assert response.result.status == SUCCESS, response.result.exception.message
    assert response.return_value.http.body.bytes == EXPECTED
