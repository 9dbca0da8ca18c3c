"""Blob input and output bindings on the app's storage: inputs read before the function runs (a
missing blob is an empty value, None to the function), outputs written only after it succeeds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quickfunc.host.binding_expressions import ExpressionError, binding_data, resolve
from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.deferred_bindings import NeedsAccount, deferred_trigger, is_deferred, reference_for
from quickfunc.host.invocations import Inputs
from quickfunc.protos import pb

if TYPE_CHECKING:
    from quickfunc.host.storage.interface import StorageBackend
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = ["BindingFailure", "BlobWrite", "BlobBindings"]

_BINARY = {pb.BindingInfo.DataType.Value("binary"), pb.BindingInfo.DataType.Value("stream")}
_CONTENT_TYPE = "application/octet-stream"


class BindingFailure(Exception):
    """A binding that cannot be served for this invocation; the message names function and binding."""


@dataclass
class BlobWrite:
    """An output blob whose path is resolved, written once the function has succeeded."""

    binding: Binding
    backend: StorageBackend
    container: str
    name: str

    @property
    def path(self) -> str:
        return f"{self.container}/{self.name}"


def _blob_bindings(spec: FunctionSpec) -> list[Binding]:
    return [b for b in spec.bindings if b.type.lower() == "blob" and not b.is_trigger]


def _content(value: pb.TypedData) -> bytes | None:
    """An output value as blob content; None when the function set none."""
    kind = value.WhichOneof("data")
    if kind == "bytes":
        return value.bytes
    if kind == "stream":
        return value.stream
    if kind in ("string", "json"):
        return getattr(value, kind).encode("utf-8")
    if kind in ("int", "double"):
        return str(getattr(value, kind)).encode()
    return None


class BlobBindings:
    """Serves the blob bindings (not triggers) of the app's functions on its storage connections."""

    def __init__(self, storage: StorageConnections, settings: Mapping[str, str]) -> None:
        self.storage = storage
        self.settings = settings
        #: told of each blob written (backend, container, name): wakes the blob triggers on it
        self.on_written: Callable[[StorageBackend, str, str], None] | None = None
        self._applies: dict[int, tuple[FunctionSpec, bool]] = {}

    def applies(self, spec: FunctionSpec) -> bool:
        """Whether the function has blob bindings served here (asked at every invocation, so
        the answer is kept per spec)."""
        known = self._applies.get(id(spec))
        if known is not None and known[0] is spec:
            return known[1]
        answer = bool(_blob_bindings(spec)) or deferred_trigger(spec) is not None
        self._applies[id(spec)] = (spec, answer)
        return answer

    def _where(
        self, spec: FunctionSpec, binding: Binding, data: dict[str, Any], whole_container: bool = False
    ) -> tuple[StorageBackend, str, str]:
        """(backend, container, blob name) of a binding in this invocation (with
        ``whole_container``, a path with no blob name is the container: an SDK-typed input)."""
        label = f"function {spec.name}: blob binding '{binding.name}'"
        template = binding.get("path")
        if not isinstance(template, str) or not template.strip():
            raise BindingFailure(f"{label} has no path")
        try:
            path = resolve(template.strip(), data, self.settings)
        except ExpressionError as exc:
            raise BindingFailure(f"{label} (path {template!r}): {exc.describe()}") from None
        container, _, name = path.strip("/").partition("/")
        from quickfunc.host.storage.interface import StorageError, check_blob_name, check_container_name

        try:
            check_container_name(container)
            if name or not whole_container:
                check_blob_name(name)
        except StorageError as exc:
            raise BindingFailure(
                f"{label}: the path {template!r} gives {path!r}, which is not container/blob: {exc}"
            ) from None
        connection = str(binding.get("connection") or "").strip()
        resolved = self.storage.get(connection)
        if resolved is None:
            raise BindingFailure(f"{label}: the storage connection {connection!r} was not set up at start")
        return resolved.backend, container, name

    def _reference(
        self, spec: FunctionSpec, binding: Binding, backend: StorageBackend, container: str, name: str
    ) -> pb.TypedData:
        try:
            return reference_for(spec, binding, backend, container, name, self.settings)
        except NeedsAccount as exc:
            raise BindingFailure(str(exc)) from None

    def _trigger_reference(self, spec: FunctionSpec, trigger: Binding, inputs: Inputs) -> None:
        """An SDK-typed blob trigger gets a reference to the blob that fired it."""
        path = inputs.trigger_metadata.get("BlobTrigger")
        container, _, name = (path.string if path is not None else "").partition("/")
        resolved = self.storage.get(str(trigger.get("connection") or "").strip())
        if resolved is None or not container:
            raise BindingFailure(f"function {spec.name}: blob trigger '{trigger.name}' has no blob to refer to")
        inputs.data[trigger.name] = self._reference(spec, trigger, resolved.backend, container, name)

    async def prepare(self, spec: FunctionSpec, inputs: Inputs) -> list[BlobWrite]:
        """Read the blob inputs into ``inputs`` and resolve the output paths (before the function
        runs, as the host binds every parameter first); BindingFailure when one cannot be."""
        trigger = spec.trigger
        body = inputs.body.content if inputs.body is not None else None
        data = binding_data(
            inputs.data.get(trigger.name) if trigger else None,
            body,
            inputs.trigger_metadata,
            message_wins=spec.trigger_type.lower() == "queuetrigger",
        )
        writes: list[BlobWrite] = []
        from quickfunc.host.storage.interface import StorageError

        if trigger is not None and is_deferred(trigger):
            self._trigger_reference(spec, trigger, inputs)
        for binding in _blob_bindings(spec):
            deferred = is_deferred(binding)
            backend, container, name = self._where(spec, binding, data, whole_container=deferred)
            if binding.direction == "out":
                writes.append(BlobWrite(binding, backend, container, name))
                continue
            if deferred:
                inputs.data[binding.name] = self._reference(spec, binding, backend, container, name)
                continue
            try:
                blob = await backend.read_blob(container, name)
            except StorageError as exc:
                raise BindingFailure(
                    f"function {spec.name}: blob input '{binding.name}' could not read {container}/{name}: {exc}"
                ) from None
            inputs.data[binding.name] = self._typed(spec, binding, blob.data if blob is not None else None)
        return writes

    @staticmethod
    def _typed(spec: FunctionSpec, binding: Binding, content: bytes | None) -> pb.TypedData:
        """The blob as the host sends it: bytes for dataType binary or stream, else UTF-8 text;
        nothing at all for a missing blob."""
        if content is None:
            return pb.TypedData()
        info = spec.metadata.bindings.get(binding.name)
        if info is not None and info.data_type in _BINARY:
            return pb.TypedData(bytes=content)
        return pb.TypedData(string=content.decode("utf-8", "replace"))

    async def write(self, writes: list[BlobWrite], output: Any) -> list[tuple[BlobWrite, int]]:
        """Write each output the function set (``output(name)`` gives its TypedData); returns
        what was written with its size. BindingFailure when a write fails."""
        from quickfunc.host.storage.interface import StorageError

        done = []
        for write in writes:
            value = output(write.binding.name)
            content = _content(value) if value is not None else None
            if content is None:
                continue
            try:
                await write.backend.write_blob(write.container, write.name, content, _CONTENT_TYPE)
            except StorageError as exc:
                raise BindingFailure(
                    f"blob output '{write.binding.name}' could not write {write.path}: {exc}"
                ) from None
            done.append((write, len(content)))
            if self.on_written is not None:
                self.on_written(write.backend, write.container, write.name)
        return done
