"""The app's functions as the host sees them: id, load metadata, trigger, outputs.

v2 apps come from the worker's metadata response; v1 apps from their function.json folders.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from quickfunc.host.durable import durable_need, not_served
from quickfunc.host.function_json import FunctionJsonError, v1_metadata_from_folder
from quickfunc.host.jsonfile import SettingsFileError, get_ci, read_json_file
from quickfunc.host.request_builders import indexed_load_metadata
from quickfunc.protos import pb

__all__ = [
    "Binding",
    "FunctionSpec",
    "Catalog",
    "catalog_from_metadata",
    "catalog_from_folders",
    "load_request",
    "only_functions",
]

_DIRECTION_NAMES = {0: "in", 1: "out", 2: "inout"}


@dataclass
class Binding:
    """One binding as written in function.json (or the worker's raw binding JSON)."""

    name: str
    type: str
    direction: str  # "in" | "out" | "inout"
    raw: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A binding property, matched case-insensitively as the host does."""
        return get_ci(self.raw, key, default)

    @property
    def is_trigger(self) -> bool:
        return self.type.lower().endswith("trigger") and self.direction == "in"

    def target(self) -> str:
        """What an output writes to, for log lines: queue name, blob path, table, ..."""
        for key in (
            "queueName",
            "path",
            "tableName",
            "topicName",
            "eventHubName",
            "containerName",
            "collectionName",
            "hubName",
            "topic",
            "name",
        ):
            value = self.get(key)
            if isinstance(value, str) and value:
                return value
        return self.name


@dataclass
class FunctionSpec:
    """One function: what to send in load requests and how to trigger it."""

    name: str
    function_id: str
    metadata: pb.RpcFunctionMetadata
    bindings: list[Binding]
    #: the reason the function cannot run (indexing or load error), empty when fine
    error: str = ""
    disabled: bool = False

    @cached_property
    def trigger(self) -> Binding | None:
        """The trigger binding (looked up once: a spec's bindings are fixed when it is made)."""
        return next((b for b in self.bindings if b.is_trigger), None)

    @property
    def trigger_type(self) -> str:
        trigger = self.trigger
        return trigger.type if trigger else ""

    @property
    def is_http(self) -> bool:
        return self.trigger_type.lower() == "httptrigger"

    @property
    def is_timer(self) -> bool:
        return self.trigger_type.lower() == "timertrigger"

    @property
    def http_output(self) -> Binding | None:
        return next((b for b in self.bindings if b.direction == "out" and b.type.lower() == "http"), None)

    @property
    def outputs(self) -> list[Binding]:
        """Output bindings other than the HTTP response (shown as log lines locally)."""
        return [b for b in self.bindings if b.direction in ("out", "inout") and b.type.lower() != "http"]

    @cached_property
    def unserved(self) -> str:
        """Why the local host does not serve this function (it needs the Durable Functions
        extension), or ''; it is still loaded, so that its load errors show."""
        need = durable_need(self.bindings)
        return not_served(need) if need else ""

    @property
    def runnable(self) -> bool:
        return not self.error and not self.unserved


@dataclass
class Catalog:
    """Every function of the app, in a stable order."""

    programming_model: str  # "v1" or "v2"
    functions: list[FunctionSpec]
    #: names of the app's functions left out by --functions (not loaded, not routed)
    skipped: list[str] = field(default_factory=list)

    def get(self, name: str) -> FunctionSpec | None:
        lowered = name.lower()
        return next((f for f in self.functions if f.name.lower() == lowered), None)

    def by_id(self, function_id: str) -> FunctionSpec | None:
        return next((f for f in self.functions if f.function_id == function_id), None)

    def loadable(self) -> list[FunctionSpec]:
        """Functions to send load requests for (disabled ones last, like the host)."""
        ok = [f for f in self.functions if not f.error]
        return [f for f in ok if not f.disabled] + [f for f in ok if f.disabled]


def only_functions(catalog: Catalog, names: Iterable[str]) -> Catalog:
    """The catalog with only the named functions (--functions); ValueError names any the app
    does not have, and lists those it has."""
    names = list(names)
    if not names:
        return catalog
    unknown = [name for name in names if catalog.get(name) is None]
    if unknown:
        found = ", ".join(f.name for f in catalog.functions) or "none"
        raise ValueError(
            f"--functions names {', '.join(unknown)}, which the app does not have; its functions are: {found}"
        )
    wanted = {name.lower() for name in names}
    kept = [f for f in catalog.functions if f.name.lower() in wanted]
    skipped = [f.name for f in catalog.functions if f.name.lower() not in wanted]
    return Catalog(catalog.programming_model, kept, skipped)


def load_request(spec: FunctionSpec) -> pb.FunctionLoadRequest:
    return pb.FunctionLoadRequest(function_id=spec.function_id, metadata=spec.metadata)


def _bindings_from_raw(
    raw_bindings: Iterable[str],
    metadata: pb.RpcFunctionMetadata,
) -> list[Binding]:
    bindings: list[Binding] = []
    for text in raw_bindings:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError:
            continue
        if not isinstance(raw, dict):
            continue
        bindings.append(
            Binding(
                str(get_ci(raw, "name", "")),
                str(get_ci(raw, "type", "")),
                str(get_ci(raw, "direction", "in")).lower(),
                raw,
            )
        )
    if not bindings:  # a worker that sent no raw bindings: use the typed ones
        for name, info in metadata.bindings.items():
            bindings.append(Binding(name, info.type, _DIRECTION_NAMES.get(info.direction, "in")))
    return bindings


def catalog_from_metadata(response: pb.FunctionMetadataResponse, disabled: Iterable[str] = ()) -> Catalog:
    """A v2 (worker-indexed) app from the worker's FunctionMetadataResponse."""
    off = {name.lower() for name in disabled}
    functions = []
    for md in response.function_metadata_results:
        function_id = md.function_id or str(uuid.uuid5(uuid.NAMESPACE_OID, md.name))
        bindings = _bindings_from_raw(md.raw_bindings, md)
        metadata = indexed_load_metadata(md, function_id)
        error = ""
        if md.HasField("status") and md.status.status != pb.StatusResult.Success:
            error = md.status.exception.message or "the worker could not index this function"
        functions.append(FunctionSpec(md.name, function_id, metadata, bindings, error, md.name.lower() in off))
    return Catalog("v2", functions)


def _v1_function(folder: str, off: set[str]) -> FunctionSpec:
    name = os.path.basename(folder)
    path = os.path.join(folder, "function.json")
    function_id = str(uuid.uuid4())
    try:
        metadata = v1_metadata_from_folder(folder)
        raw = read_json_file(path).data
    except (FunctionJsonError, SettingsFileError) as exc:
        return FunctionSpec(name, function_id, pb.RpcFunctionMetadata(name=name), [], str(exc))
    metadata.properties["FunctionId"] = function_id
    bindings = [
        Binding(str(get_ci(b, "name")), str(get_ci(b, "type")), str(get_ci(b, "direction")).lower(), b)
        for b in get_ci(raw, "bindings", [])
    ]
    disabled = get_ci(raw, "disabled") is True or name.lower() in off
    return FunctionSpec(name, function_id, metadata, bindings, "", disabled)


def catalog_from_folders(app_dir: str, disabled: Iterable[str] = ()) -> Catalog:
    """A v1 app: one function per subfolder holding a function.json (as the host indexes it)."""
    root = os.path.abspath(app_dir)
    off = {name.lower() for name in disabled}
    functions = [
        _v1_function(os.path.join(root, entry), off)
        for entry in sorted(os.listdir(root))
        if os.path.isfile(os.path.join(root, entry, "function.json"))
    ]
    return Catalog("v1", functions)
