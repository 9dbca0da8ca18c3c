"""The local host's side of SDK-type blob bindings: which bindings get a reference, and the
reference itself, as the storage extension writes it."""

from __future__ import annotations

import json

import pytest

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.deferred_bindings import NeedsAccount, blob_reference, is_deferred, reference_for
from quickfunc.host.storage.embedded import EmbeddedStorage
from quickfunc.protos import pb


def _binding(type_="blob", direction="in", properties=None, connection="Store"):
    raw = {"name": "client", "type": type_, "direction": direction, "connection": connection}
    if properties is not None:
        raw["properties"] = properties
    return Binding("client", type_, direction, raw)


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        (_binding(properties={"SupportsDeferredBinding": True}), True),
        (_binding("blobTrigger", properties={"supportsDeferredBinding": "True"}), True),
        (_binding(properties={"SupportsDeferredBinding": False}), False),
        (_binding(), False),
        (_binding(direction="out", properties={"SupportsDeferredBinding": True}), False),
        (_binding("queueTrigger", properties={"SupportsDeferredBinding": True}), False),
        (_binding(properties="SupportsDeferredBinding"), False),
    ],
)
def test_only_blob_inputs_and_triggers_that_ask_get_a_reference(binding, expected):
    assert is_deferred(binding) is expected


def test_the_reference_is_what_the_storage_extension_sends():
    data = blob_reference("AzureWebJobsStorage", "samples", "a/b.txt")
    reference = data.model_binding_data
    assert (reference.version, reference.source, reference.content_type) == (
        "1.0",
        "AzureStorageBlobs",
        "application/json",
    )
    assert json.loads(reference.content) == {
        "Connection": "AzureWebJobsStorage",
        "ContainerName": "samples",
        "BlobName": "a/b.txt",
    }


def test_the_reference_names_the_setting_that_holds_the_connection():
    spec = FunctionSpec("f", "id", pb.RpcFunctionMetadata(name="f"), [])
    binding = _binding(properties={"SupportsDeferredBinding": True})
    data = reference_for(spec, binding, object(), "c", "n", {"AzureWebJobsStore": "UseDevelopmentStorage=true"})
    assert json.loads(data.model_binding_data.content)["Connection"] == "AzureWebJobsStore"


def test_the_embedded_store_is_refused_naming_function_binding_and_setting(tmp_path):
    spec = FunctionSpec("f", "id", pb.RpcFunctionMetadata(name="f"), [])
    binding = _binding(properties={"SupportsDeferredBinding": True})
    with pytest.raises(NeedsAccount) as caught:
        reference_for(spec, binding, EmbeddedStorage(str(tmp_path / "s.db")), "c", "n", {})
    assert str(caught.value).startswith("function f: 'client' is an SDK type")
    assert "connection Store uses the embedded store; set Store to UseDevelopmentStorage=true" in str(caught.value)
