"""SDK-type blob bindings (protocol §15): a blob input or trigger whose raw binding says
SupportsDeferredBinding gets a reference to the blob (model_binding_data), not its content.

The worker builds the client from the connection setting the reference names, so it needs
Azurite or a storage account: with the embedded store the banner says so and the invocation fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.jsonfile import get_ci
from quickfunc.host.storage.embedded import EmbeddedStorage
from quickfunc.host.storage.resolve import DEFAULT_CONNECTION, find_setting
from quickfunc.protos import pb

if TYPE_CHECKING:
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = [
    "NeedsAccount",
    "blob_reference",
    "deferred_notes",
    "deferred_trigger",
    "is_deferred",
    "reference_for",
]

#: what the storage extension writes in ModelBindingData for a blob
VERSION = "1.0"
SOURCE = "AzureStorageBlobs"
CONTENT_TYPE = "application/json"
_BLOB_TYPES = frozenset({"blob", "blobtrigger"})
_SDK_TYPES = "an SDK type (BlobClient, ContainerClient or StorageStreamDownloader)"


class NeedsAccount(Exception):
    """An SDK-typed blob binding on a connection that uses the embedded store."""


def is_deferred(binding: Binding) -> bool:
    """A blob input or trigger whose raw binding asks for a reference instead of the content."""
    if binding.type.lower() not in _BLOB_TYPES or binding.direction != "in":
        return False
    properties = binding.get("properties")
    if not isinstance(properties, Mapping):
        return False
    flag = get_ci(properties, "SupportsDeferredBinding")
    return flag is True or str(flag).lower() == "true"


def deferred_trigger(spec: FunctionSpec) -> Binding | None:
    """The function's blob trigger, when it is SDK-typed."""
    trigger = spec.trigger
    return trigger if trigger is not None and is_deferred(trigger) else None


def _connection(binding: Binding) -> str:
    return str(binding.get("connection") or "").strip() or DEFAULT_CONNECTION


def blob_reference(setting: str, container: str, name: str) -> pb.TypedData:
    """The model binding data of one blob (``name`` empty: the whole container)."""
    content = json.dumps({"Connection": setting, "ContainerName": container, "BlobName": name}, separators=(",", ":"))
    reference = pb.ModelBindingData(
        version=VERSION, source=SOURCE, content_type=CONTENT_TYPE, content=content.encode("utf-8")
    )
    return pb.TypedData(model_binding_data=reference)


def _embedded_message(spec: FunctionSpec, binding: Binding, settings: Mapping[str, str]) -> str:
    connection = _connection(binding)
    setting = find_setting(settings, connection)[0]
    return (
        f"function {spec.name}: '{binding.name}' is {_SDK_TYPES}, which needs Azurite or a storage "
        f"account, but connection {connection} uses the embedded store; set {setting} to "
        "UseDevelopmentStorage=true with Azurite running, or to a storage account's connection string"
    )


def reference_for(
    spec: FunctionSpec, binding: Binding, backend: Any, container: str, name: str, settings: Mapping[str, str]
) -> pb.TypedData:
    """The reference the worker gets for an SDK-typed binding; NeedsAccount on the embedded store.
    The reference names the setting that holds the connection (``X`` or ``AzureWebJobsX``), which
    the worker reads from its environment."""
    if isinstance(backend, EmbeddedStorage):
        raise NeedsAccount(_embedded_message(spec, binding, settings))
    return blob_reference(find_setting(settings, _connection(binding))[0], container, name)


def deferred_notes(spec: FunctionSpec, storage: StorageConnections | None) -> list[str]:
    """A banner line for each SDK-typed binding whose connection uses the embedded store."""
    notes = []
    for binding in spec.bindings:
        if not is_deferred(binding):
            continue
        resolved = storage.get(_connection(binding)) if storage is not None else None
        if resolved is None or isinstance(resolved.backend, EmbeddedStorage):
            notes.append(
                f"'{binding.name}' is {_SDK_TYPES}: these types need Azurite or a storage account, and "
                f"{_connection(binding)} uses the embedded store, so its invocations fail"
            )
    return notes
