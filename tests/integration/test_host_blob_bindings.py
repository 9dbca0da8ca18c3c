"""Blob input and output bindings through the real local host and worker processes on the
embedded store: the guide's example, outputs written only on success, each binding expression,
an expression that cannot be resolved, and the banner lines for bindings the host cannot serve."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from tests.helpers import REPO_ROOT, app_path, run
from tests.integration.hostproc import LocalHostProcess, host_env, request


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("blobs") / "app"
    shutil.copytree(app_path("host_blobs"), target)
    return str(target)


@pytest.fixture(scope="module")
def host(app):
    process = LocalHostProcess(app).start()
    yield process
    process.close()


def _storage(app, *args, stdin=b""):
    """``python -m quickfunc.command storage APP ...`` as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "quickfunc.command", "storage", app, *args],
        cwd=REPO_ROOT,
        env=host_env(),
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _blob(app, container, name):
    async def read():
        store = EmbeddedStorage(store_path(app))
        try:
            blob = await store.read_blob(container, name)
            return None if blob is None else blob.data
        finally:
            await store.close()

    return run(read())


def _names(app, container):
    async def listing():
        store = EmbeddedStorage(store_path(app))
        try:
            return [p.name for p in await store.list_blobs(container)]
        finally:
            await store.close()

    return run(listing())


def test_the_guides_example_a_blob_input_on_samples_id(app, host):
    key = f"a-{uuid.uuid4().hex[:8]}.txt"
    _storage(app, "blob", "put", f"samples/{key}", "-", stdin="héllo blob".encode())
    reply = request(f"{host.url}/api/sample?id={key}")
    assert reply.status == 200, reply.text
    assert reply.json() == {"type": "str", "text": "héllo blob"}


def test_a_missing_blob_is_none_until_it_is_written(app, host):
    key = f"missing-{uuid.uuid4().hex[:8]}"
    reply = request(f"{host.url}/api/sample?id={key}")
    assert reply.status == 200, reply.text
    assert reply.json() == {"type": "None"}
    _storage(app, "blob", "put", f"samples/{key}", "-", stdin=b"now here")
    assert request(f"{host.url}/api/sample?id={key}").json() == {"type": "str", "text": "now here"}


def test_binary_input_by_query_expression_and_input_stream_by_route(app, host):
    key = f"b-{uuid.uuid4().hex[:8]}.bin"
    data = bytes(range(256))
    _storage(app, "blob", "put", f"samples/{key}", "-", stdin=data)
    reply = request(f"{host.url}/api/sample-bytes?name={key}")
    assert reply.status == 200, reply.text
    assert reply.json() == {"type": "bytes", "hex": data.hex()}
    reply = request(f"{host.url}/api/sample-stream/{key}")
    assert reply.status == 200, reply.text
    # a blob input (not a trigger) carries no name, uri or length, as the host sends it
    assert reply.json() == {"type": "InputStream", "hex": data.hex(), "name": None, "uri": None, "length": None}


def test_an_output_blob_is_written_and_read_back_by_an_input(app, host):
    key = f"w-{uuid.uuid4().hex[:8]}.txt"
    reply = request(f"{host.url}/api/write/{key}", "POST", b"written by a function")
    assert reply.status == 201, reply.text
    assert _blob(app, "outputs", key) == b"written by a function"
    assert host.wait_for_line(f"wrote blob 'outputs/{key}' \\(21 bytes\\)", 10)
    data = bytes(range(255, -1, -1))
    reply = request(f"{host.url}/api/write-bytes/{key}", "POST", data)
    assert reply.status == 201, reply.text
    assert _blob(app, "outputs", key) == data


def test_an_output_is_not_written_when_the_function_fails(app, host):
    key = f"f-{uuid.uuid4().hex[:8]}.txt"
    reply = request(f"{host.url}/api/write/{key}?fail=1", "POST", b"never")
    assert reply.status == 500
    assert _blob(app, "outputs", key) is None
    reply = request(f"{host.url}/api/write/{key}", "POST", b"then written")
    assert reply.status == 201
    assert _blob(app, "outputs", key) == b"then written"


def test_return_value_to_a_blob_whose_container_is_an_app_setting(app, host):
    key = f"r-{uuid.uuid4().hex[:8]}.txt"
    reply = request(f"{host.url}/api/returned/{key}", "POST", b"returned text")
    assert reply.status == 201 and reply.text == "archived"
    assert _blob(app, "archive", key) == b"returned text"


def test_a_json_body_property_names_the_blob(app, host):
    item = f"book-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"item": item, "count": 2}).encode()
    reply = request(f"{host.url}/api/order", "POST", body, {"Content-Type": "application/json"})
    assert reply.status == 200, reply.text
    assert _blob(app, "orders", f"{item}.txt") == body


def test_rand_guid_and_datetime(app, host):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    reply = request(f"{host.url}/api/stamped", "POST", b"")
    after = datetime.now(timezone.utc)
    assert reply.status == 200, reply.text
    names = _names(app, "stamped")
    guids = [n for n in names if re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}\.txt", n)]
    dates = [n for n in names if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.txt", n)]
    assert len(guids) == 1 and len(dates) == 1, names
    assert _blob(app, "stamped", guids[0]) == b"guid"
    stamp = datetime.strptime(dates[0], "%Y-%m-%dT%H-%M-%SZ.txt").replace(tzinfo=timezone.utc)
    assert before <= stamp <= after


def test_an_expression_that_cannot_be_resolved_fails_the_invocation_naming_it(host):
    reply = request(f"{host.url}/api/sample")
    assert reply.status == 500
    assert "function sample: blob binding 'inputblob' (path 'samples/{id}'): no value for {id}" in reply.text
    reply = request(f"{host.url}/api/sample?id=x")  # the host keeps serving
    assert reply.status == 200


def test_the_banner_says_which_bindings_are_not_served(host):
    out = host.output()
    assert "input 'docs' (cosmosDB) will be None: the local host cannot serve cosmosDB" in out
    assert "output 'msg' (serviceBus) is printed, not written: the local host cannot serve serviceBus" in out
    reply = request(f"{host.url}/api/unserved")
    assert reply.status == 200 and reply.json() == {"docs": None}
    assert host.wait_for_line(r"output serviceBus 'jobs': sent", 10)


def test_a_v1_function_json_blob_input_and_output(tmp_path):
    app = str(tmp_path / "app")
    shutil.copytree(app_path("host_blobs_v1"), app)
    data = bytes(range(256)) * 3
    _storage(app, "blob", "put", "samples/a.bin", "-", stdin=data)
    process = LocalHostProcess(app).start()
    try:
        reply = request(f"{process.url}/api/Sample?id=a.bin")
        assert reply.status == 200 and reply.body == data
        assert _blob(app, "copies", "a.bin") == data
        assert request(f"{process.url}/api/Sample?id=b.bin").status == 404
    finally:
        process.close()
