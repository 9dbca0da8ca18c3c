"""Blob-trigger inputs as the host sends them: the path pattern matched against blob names (its
parameters become metadata), the content as bytes or text, and BlobTrigger/Uri/Properties/Metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.invocations import InputError, Inputs
from quickfunc.host.queue_messages import MessageError, resolve_settings
from quickfunc.host.storage.interface import Blob, BlobProperties, StorageBackend, StorageError
from quickfunc.protos import pb

__all__ = ["BlobPattern", "blob_uri", "blob_inputs", "blob_admin_inputs"]

_PARAMETER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class BlobPattern:
    """``container/prefix{name}.{ext}``: the container, the literal prefix listed, and a regex
    giving each parameter of a matching blob name."""

    container: str
    prefix: str
    regex: re.Pattern[str]

    @classmethod
    def of(cls, spec: FunctionSpec, settings: Mapping[str, str]) -> BlobPattern:
        """The trigger's path; MessageError naming the function when it is not container/pattern."""
        trigger = spec.trigger
        raw = str(trigger.get("path") or "") if trigger is not None else ""
        if not raw.strip():
            raise MessageError(f"function {spec.name}: its blob trigger names no path")
        path = resolve_settings(raw.strip(), settings, f"function {spec.name}, blob trigger").strip("/")
        container, _, blob = path.partition("/")
        if not container or "{" in container:
            raise MessageError(f"function {spec.name}: the blob trigger path {raw!r} must start with a container name")
        parts: list[str] = []
        last = 0
        for match in _PARAMETER.finditer(blob):
            parts.append(re.escape(blob[last : match.start()]))
            name = match.group(1).strip()
            if not name.isidentifier():
                raise MessageError(f"function {spec.name}: blob trigger path {raw!r}: {{{name}}} is not a name")
            parts.append(f"(?P<{name}>.+?)")
            last = match.end()
        parts.append(re.escape(blob[last:]))
        prefix = blob[: blob.index("{")] if "{" in blob else blob
        return cls(container.lower(), prefix, re.compile("^" + "".join(parts) + "$", re.DOTALL))

    def match(self, name: str) -> dict[str, str] | None:
        found = self.regex.match(name)
        return None if found is None else found.groupdict()


def blob_uri(backend: StorageBackend, container: str, name: str) -> str:
    """The blob's URL on its account; the embedded store has none, so a quickfunc:// one."""
    clients = getattr(backend, "blobs", None)
    base = str(getattr(clients, "url", "") or "").rstrip("/")
    if not base:
        base = "quickfunc://embedded"
    return f"{base}/{quote(container)}/{quote(name)}"


def _stamp(properties: BlobProperties) -> str:
    return properties.last_modified.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def blob_inputs(spec: FunctionSpec, backend: StorageBackend, blob: Blob, parameters: Mapping[str, str]) -> Inputs:
    """The content (bytes for dataType binary or stream, else UTF-8 text) with the host's metadata."""
    trigger = spec.trigger
    assert trigger is not None
    props = blob.properties
    info = spec.metadata.bindings.get(trigger.name)
    binary = info is not None and info.data_type in (
        pb.BindingInfo.DataType.Value("binary"),
        pb.BindingInfo.DataType.Value("stream"),
    )
    if not binary:
        try:
            data = pb.TypedData(string=blob.data.decode("utf-8"))
        except UnicodeDecodeError:
            data = pb.TypedData(bytes=blob.data)
    else:
        data = pb.TypedData(bytes=blob.data)
    properties = {
        "Length": props.length,
        "ContentLength": props.length,
        "ContentType": props.content_type,
        "ETag": props.etag,
        "LastModified": _stamp(props),
        "BlobType": "BlockBlob",
    }
    metadata = {name: pb.TypedData(string=value) for name, value in parameters.items()}
    metadata["BlobTrigger"] = pb.TypedData(string=f"{props.container}/{props.name}")
    metadata["Uri"] = pb.TypedData(string=blob_uri(backend, props.container, props.name))
    metadata["Properties"] = pb.TypedData(json=json.dumps(properties))
    metadata["Metadata"] = pb.TypedData(json=json.dumps(dict(props.metadata)))
    return Inputs({trigger.name: data}, metadata)


async def blob_admin_inputs(
    spec: FunctionSpec, value: object, backend: StorageBackend | None, settings: Mapping[str, str]
) -> Inputs:
    """Admin invoke of a blob trigger: ``input`` is a ``container/blob`` path read from storage."""
    path = value.strip().strip("/") if isinstance(value, str) else ""
    container, _, name = path.partition("/")
    if not container or not name:
        raise InputError(
            f"function {spec.name} has a blobTrigger, whose input is a blob path like 'container/name'; got {value!r}"
        )
    if backend is None:
        raise InputError(f"function {spec.name}: its storage connection was not resolved at start")
    try:
        blob = await backend.read_blob(container, name)
    except StorageError as exc:
        raise InputError(f"function {spec.name}: cannot read blob {path!r}: {exc}") from None
    if blob is None:
        raise InputError(f"function {spec.name}: blob {path!r} does not exist")
    try:
        parameters = BlobPattern.of(spec, settings).match(name) or {}
    except MessageError:
        parameters = {}
    return blob_inputs(spec, backend, blob, parameters)
