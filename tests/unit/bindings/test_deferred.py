"""SDK-typed parameters in the worker (protocol §15), through the in-process harness: the raw
bindings say SupportsDeferredBinding, a hand-made model_binding_data becomes the extension's
client (kept for reuse per parameter, annotation, content and function), and what can go wrong
is named by function and parameter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from quickfunc.bindings import deferred
from quickfunc.protos import pb
from tests.helpers import REPO_ROOT, SUCCESS, app_path, http

APP = app_path("v2_sdk_types")
ACCOUNT = "sdkaccount"
CONNECTION = (
    f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey=a2V5a2V5a2V5a2V5;"
    f"BlobEndpoint=http://127.0.0.1:1/{ACCOUNT};"
)
FAILURE = pb.StatusResult.Failure


def reference(container, blob, connection="SdkStorage"):
    content = json.dumps({"Connection": connection, "ContainerName": container, "BlobName": blob})
    return pb.TypedData(
        model_binding_data=pb.ModelBindingData(
            version="1.0", source="AzureStorageBlobs", content_type="application/json", content=content.encode()
        )
    )


@pytest.fixture
def worker(worker_harness):
    deferred.clear_cache()
    harness = worker_harness(APP, env={"SdkStorage": CONNECTION})
    harness.load_v2_app()
    yield harness
    deferred.clear_cache()


def _call(worker, name, **inputs):
    response = worker.invoke(name, {"req": http(), **inputs})
    assert response.result.status == SUCCESS, response.result.exception.message
    return json.loads(response.return_value.string)


def _raw(worker, name):
    response = worker.metadata()
    found = next(f for f in response.function_metadata_results if f.name == name)
    return {raw["name"]: raw for raw in map(json.loads, found.raw_bindings)}


def test_raw_bindings_flag_sdk_typed_inputs_and_triggers_only(worker):
    one = _raw(worker, "one")
    assert one["client"]["properties"] == {"SupportsDeferredBinding": True}
    assert one["req"]["properties"] == {"SupportsDeferredBinding": False}
    assert one["$return"]["properties"] == {"SupportsDeferredBinding": False}
    fired = _raw(worker, "fired")
    assert fired["client"]["properties"] == {"SupportsDeferredBinding": True}
    assert fired["out"]["properties"] == {"SupportsDeferredBinding": False}
    assert all("properties" not in raw for raw in _raw(worker, "plain").values())


def test_a_reference_becomes_the_extensions_blob_client(worker):
    got = _call(worker, "one", client=reference("samples", "a.txt"))
    assert (got["type"], got["container"], got["blob"]) == ("BlobClient", "samples", "a.txt")
    assert got["url"] == f"http://127.0.0.1:1/{ACCOUNT}/samples/a.txt"


def test_a_container_reference_becomes_a_container_client(worker):
    got = _call(worker, "whole", container=reference("samples", ""))
    assert (got["type"], got["container"]) == ("ContainerClient", "samples")


def test_a_blob_trigger_gets_a_client_too(worker):
    response = worker.invoke("fired", {"client": reference("incoming", "b.bin")})
    assert response.result.status == SUCCESS, response.result.exception.message
    out = json.loads(response.output_data[0].data.string)
    assert (out["type"], out["blob"]) == ("BlobClient", "b.bin")


def test_clients_are_reused_per_parameter_annotation_content_and_function(worker):
    first = _call(worker, "one", client=reference("samples", "a.txt"))
    again = _call(worker, "one", client=reference("samples", "a.txt"))
    other_blob = _call(worker, "one", client=reference("samples", "b.txt"))
    other_function = _call(worker, "two", client=reference("samples", "a.txt"))
    assert first["id"] == again["id"]
    assert other_blob["id"] != first["id"]
    assert other_function["id"] != first["id"]


def test_content_instead_of_a_reference_is_an_error_naming_function_and_parameter(worker):
    response = worker.invoke("one", {"req": http(), "client": pb.TypedData(string="the blob's text")})
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "function 'one': parameter 'client' (BlobClient, binding 'blob') is an SDK type" in message
    assert "it sent string data (the content itself) instead" in message


def test_a_connection_setting_that_is_not_set_is_named(worker):
    response = worker.invoke("one", {"req": http(), "client": reference("samples", "a.txt", "NoSuchSetting")})
    assert response.result.status == FAILURE
    message = response.result.exception.message
    assert "function 'one': parameter 'client' (BlobClient, binding 'blob'): cannot create the client" in message
    assert "NoSuchSetting" in message


def test_an_sdk_type_on_a_binding_no_extension_serves_fails_its_load(worker_harness, tmp_path):
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\n"
        "from azurefunctions.extensions.bindings.blob import BlobClient\n"
        "app = func.FunctionApp()\n"
        "@app.queue_trigger(arg_name='msg', queue_name='q', connection='C')\n"
        "def on_queue(msg: BlobClient) -> None:\n"
        "    pass\n"
    )
    harness = worker_harness(str(tmp_path))
    found = harness.metadata().function_metadata_results[0]
    assert found.status.status == FAILURE
    assert "parameter 'msg' is annotated BlobClient, an SDK type, but no installed" in found.status.exception.message
    assert "binding type 'queueTrigger'" in found.status.exception.message


def test_the_worker_does_not_import_the_extensions_for_an_app_without_them():
    code = (
        "import sys\n"
        "from tests.harness import WorkerHarness\n"
        f"with WorkerHarness({app_path('v2_basic')!r}) as h:\n"
        "    h.load_v2_app()\n"
        f"    assert {deferred.BASE_PACKAGE!r} not in sys.modules, 'imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
