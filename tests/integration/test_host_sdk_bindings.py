"""SDK-type blob bindings (azurefunctions-extensions-bindings-blob) through the real local host,
worker and a real Azurite: BlobClient, ContainerClient and StorageStreamDownloader inputs, a blob
trigger taking a BlobClient, and the embedded store's clear refusal."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request

TRIGGER_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("sdk") / "app"
    shutil.copytree(app_path("host_sdk_blobs"), target)
    return str(target)


@pytest.fixture(scope="module")
def blobs(azurite):
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    for container in ("samples", "sdk-in", "sdk-results"):
        try:
            service.create_container(container)
        except Exception as exc:  # already there from another module of the session
            if "ContainerAlreadyExists" not in str(exc):
                raise
    yield service
    service.close()


@pytest.fixture(scope="module")
def host(app, azurite, blobs):
    process = LocalHostProcess(app, env={"AzureWebJobsStorage": azurite.connection_string}).start()
    yield process
    process.close()


def _put(blobs, container, name, text):
    blobs.get_blob_client(container, name).upload_blob(text.encode(), overwrite=True)


def test_a_blob_client_input_reads_the_blob_from_azurite(host, blobs):
    name = f"c-{uuid.uuid4().hex[:8]}.txt"
    _put(blobs, "samples", name, "héllo from azurite")
    reply = request(f"{host.url}/api/client/{name}")
    assert reply.status == 200, reply.text + host.output()
    assert reply.json() == {
        "type": "BlobClient",
        "container": "samples",
        "blob": name,
        "exists": True,
        "text": "héllo from azurite",
    }


def test_a_blob_client_for_a_missing_blob_is_still_a_client(host):
    name = f"missing-{uuid.uuid4().hex[:8]}.txt"
    reply = request(f"{host.url}/api/client/{name}")
    assert reply.status == 200, reply.text + host.output()
    assert reply.json() == {"type": "BlobClient", "container": "samples", "blob": name, "exists": False}


def test_a_container_client_lists_the_container(host, blobs):
    names = sorted(f"l-{uuid.uuid4().hex[:8]}-{i}.txt" for i in range(3))
    for name in names:
        _put(blobs, "samples", name, name)
    reply = request(f"{host.url}/api/container")
    assert reply.status == 200, reply.text + host.output()
    body = reply.json()
    assert (body["type"], body["container"]) == ("ContainerClient", "samples")
    assert set(names) <= set(body["names"])


def test_a_storage_stream_downloader_reads_fresh_content_each_call(host, blobs):
    name = f"s-{uuid.uuid4().hex[:8]}.txt"
    for text in ("first version", "second version"):  # a downloader is never reused
        _put(blobs, "samples", name, text)
        reply = request(f"{host.url}/api/stream/{name}")
        assert reply.status == 200, reply.text + host.output()
        assert reply.json() == {"type": "StorageStreamDownloader", "name": name, "text": text}


def test_a_plain_str_input_still_gets_the_content(host, blobs):
    name = f"p-{uuid.uuid4().hex[:8]}.txt"
    _put(blobs, "samples", name, "plain text")
    reply = request(f"{host.url}/api/plain/{name}")
    assert (reply.status, reply.text) == (200, "plain text")


def test_a_blob_trigger_gets_a_blob_client(host, blobs):
    name = f"t-{uuid.uuid4().hex[:8]}.txt"
    _put(blobs, "sdk-in", name, "triggered content")
    result = blobs.get_blob_client("sdk-results", name)
    deadline = time.monotonic() + TRIGGER_TIMEOUT
    while not result.exists():
        assert time.monotonic() < deadline, "the blob trigger did not run:\n" + host.output()
        time.sleep(0.2)
    record = json.loads(result.download_blob().readall())
    assert record == {"type": "BlobClient", "blob": name, "text": "triggered content"}


def test_admin_invoke_of_an_sdk_typed_blob_trigger_gets_a_client(host, blobs):
    name = f"a-{uuid.uuid4().hex[:8]}.txt"
    blobs.get_blob_client("samples", name).upload_blob(b"invoked by hand")
    reply = host.post("/admin/functions/copied", json.dumps({"input": f"samples/{name}"}))
    assert reply.status == 202, reply.text
    result = blobs.get_blob_client("sdk-results", name)
    deadline = time.monotonic() + TRIGGER_TIMEOUT
    while not result.exists():
        assert time.monotonic() < deadline, "the admin invoke did not run:\n" + host.output()
        time.sleep(0.2)
    record = json.loads(result.download_blob().readall())
    assert record == {"type": "BlobClient", "blob": name, "text": "invoked by hand"}


def test_with_the_embedded_store_the_banner_and_the_invocation_say_azurite_is_needed(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(app_path("host_sdk_blobs"), app)
    with LocalHostProcess(str(app), ["--storage", "embedded"]) as host:
        banner = host.output()
        for name in ("client", "container", "stream"):
            assert (
                f"'{name}' is an SDK type (BlobClient, ContainerClient or StorageStreamDownloader): these "
                "types need Azurite or a storage account, and AzureWebJobsStorage uses the embedded store"
            ) in banner, banner
        reply = request(f"{host.url}/api/client/x.txt")
        assert reply.status == 500
        expected = (
            "function client: 'client' is an SDK type (BlobClient, ContainerClient or "
            "StorageStreamDownloader), which needs Azurite or a storage account, but connection "
            "AzureWebJobsStorage uses the embedded store"
        )
        assert host.wait_for_line(re.escape(expected), 10), host.output()
        plain = request(f"{host.url}/api/plain/x.txt")
        assert plain.status == 200, plain.text  # other blob inputs still work on the embedded store
