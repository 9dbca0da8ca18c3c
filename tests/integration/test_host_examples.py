"""The example apps the README points at: served by the local host, each shows HTTP with
parameters and JSON, an async function, logging, a queue output consumed by its queue trigger
within two seconds (on the embedded store, and the same app on a real Azurite), admin invoke,
and a timer."""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest

from tests.helpers import REPO_ROOT
from tests.integration.hostproc import LocalHostProcess

EXAMPLES = {"v2_app": "process_order", "v1_app": "ProcessOrder"}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_example_app_serves_every_feature(example):
    with LocalHostProcess(os.path.join(REPO_ROOT, "examples", example)) as host:
        out = host.output()
        # UseDevelopmentStorage=true with no Azurite on its default ports: the embedded store
        assert "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) (UseDevelopmentStorage=true" in out
        assert re.search(r"(heartbeat|Heartbeat)\s+timer: schedule 0 \*/1 \* \* \* \*", out)
        assert host.get("/api/hello/Ada").json() == {"message": "Hello, Ada!"}
        assert host.post("/api/hello", json.dumps({"name": "Bo"})).json()["message"] == "Hello, Bo!"
        assert host.get("/api/hello").status == 400
        assert host.get("/api/add/2/40").json()["sum"] == 42
        assert host.get("/api/add/two/40").status == 404
        assert host.get("/api/wait/10").text == "waited 10 ms"
        assert host.get("/api/wait/9999").status == 404  # {ms:int:max(5000)}
        order = {"item": "book", "quantity": 2}
        reply = host.post("/api/orders", json.dumps(order))
        assert reply.status == 202 and reply.json() == {"queued": order}
        assert host.wait_for_line(r"output queue 'orders': \{\"item\": \"book\", \"quantity\": 2\}")
        assert host.wait_for_line(r"order for book queued")
        name = EXAMPLES[example]
        # the queued order runs the queue-triggered function by itself, within two seconds
        assert host.wait_for_line(rf"{name} \([0-9a-f]{{8}}\) processing order \{{\"item\": \"book\"", 2), host.output()
        assert host.wait_for_line(r"saying hello to Ada")
        assert host.post(f"/admin/functions/{name}", json.dumps({"input": "pen"})).status == 202
        assert host.wait_for_line(rf"{name} \([0-9a-f]{{8}}\) processing order pen")


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_example_app_runs_its_queue_trigger_by_itself_on_azurite(example, azurite):
    env = {"AzureWebJobsStorage": azurite.connection_string}
    with LocalHostProcess(os.path.join(REPO_ROOT, "examples", example), env=env) as host:
        where = f"Azurite at 127.0.0.1:{azurite.blob_port}/{azurite.queue_port}"
        assert f"Storage AzureWebJobsStorage: {where}" in host.output().splitlines(), host.output()
        item = f"book-{uuid.uuid4().hex[:8]}"
        start = time.monotonic()
        reply = host.post("/api/orders", json.dumps({"item": item, "quantity": 1}))
        assert reply.status == 202, reply.text
        name = EXAMPLES[example]
        line = host.wait_for_line(rf"{name} \([0-9a-f]{{8}}\) processing order \{{\"item\": \"{item}\"", 2)
        assert line is not None, host.output()
        assert time.monotonic() - start < 2.0
