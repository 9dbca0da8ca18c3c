"""Shared-memory transfer on the host side (protocol §14): bytes/string inputs of 1 MiB to 2 GiB go
to map files the worker reads, outputs the worker put in maps are read back, and every map of an
invocation is removed once it is over (the worker's through CloseSharedMemoryResourcesRequest)."""

from __future__ import annotations

import logging
import os
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quickfunc.protos import pb

__all__ = ["CAPABILITY", "MapError", "HostMaps", "InvocationMaps"]

log = logging.getLogger("quickfunc.host.shared_memory")

CAPABILITY = "SharedMemoryDataTransfer"
HEADER = struct.Struct("<Bq")  # flag 0x01 "initialised", content length (int64 little-endian)
INITIALIZED = 0x01
DIR_SUFFIX = "AzureFunctions"
#: the host's bounds; a string counts 2 bytes per character (as .NET stores it)
MIN_BYTES = 1024 * 1024
MAX_BYTES = 2 * 1024 * 1024 * 1024
_BYTES: Any = pb.RpcDataType.Value("bytes")
_STRING: Any = pb.RpcDataType.Value("string")


class MapError(Exception):
    """A map that cannot be written or read; the message names it."""


def _path(folder: str, name: str) -> str:
    if not name or "/" in name or "\0" in name or name in (".", ".."):
        raise MapError(f"{name!r} is not a valid shared-memory map name")
    return os.path.join(folder, name)


def write_map(folder: str, name: str, content: bytes | bytearray) -> str:
    """A new map file: header then content, sized header + content; its path."""
    path = _path(folder, name)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise MapError(f"cannot create shared-memory map {path}: {exc.strerror}") from None
    try:
        os.ftruncate(fd, HEADER.size + len(content))
        if os.pwritev(fd, [HEADER.pack(INITIALIZED, len(content)), content], 0) != HEADER.size + len(content):
            raise OSError(0, "short write")
    except OSError as exc:
        os.close(fd)
        os.unlink(path)
        raise MapError(f"cannot write shared-memory map {path}: {exc.strerror or exc}") from None
    os.close(fd)
    return path


def read_map(folder: str, name: str, offset: int, count: int) -> bytes:
    """``count`` content bytes of a map the worker wrote (offset 0 only)."""
    path = _path(folder, name)
    if offset != 0 or count < 0:
        raise MapError(f"shared-memory map {name}: offset {offset} / count {count} not supported")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise MapError(f"cannot open shared-memory map {path}: {exc.strerror}") from None
    try:
        header = os.pread(fd, HEADER.size, 0)
        flag, length = HEADER.unpack(header) if len(header) == HEADER.size else (0, -1)
        if flag != INITIALIZED or length < count:
            raise MapError(
                f"shared-memory map {path} has a bad header (flag {flag}, length {length}, {count} announced)"
            )
        if os.fstat(fd).st_size < HEADER.size + count:  # before allocating `count` bytes
            raise MapError(f"shared-memory map {path} is shorter than the {count} bytes announced")
        content = os.pread(fd, count, HEADER.size)
    finally:
        os.close(fd)
    if len(content) != count:
        raise MapError(f"shared-memory map {path} ended after {len(content)} of {count} bytes")
    return content


def remove_map(folder: str, name: str) -> bool:
    try:
        os.unlink(_path(folder, name))
    except (OSError, MapError):
        return False
    return True


def usable_dir(bases: Iterable[str]) -> str | None:
    """The first `<base>/AzureFunctions` that exists or can be made."""
    for base in bases:
        folder = os.path.join(base, DIR_SUFFIX)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            continue
        return folder
    return None


def eligible(data: pb.TypedData) -> tuple[bytes, Any] | None:
    """(content, RpcDataType) for a value the host transfers in shared memory, else None."""
    kind = data.WhichOneof("data")
    if kind == "bytes":
        content = data.bytes
        return (content, _BYTES) if MIN_BYTES <= len(content) <= MAX_BYTES else None
    if kind == "string":
        text = data.string
        return (text.encode("utf-8"), _STRING) if MIN_BYTES <= 2 * len(text) <= MAX_BYTES else None
    return None


class HostMaps:
    """Where this host puts maps, and the maps of invocations still running (removed at stop)."""

    def __init__(self, bases: Sequence[str]) -> None:
        self.bases = tuple(bases)
        self._folder: str | None = None
        self.live: dict[str, str] = {}  # name → folder, until removed

    @property
    def folder(self) -> str | None:
        if self._folder is None:
            self._folder = usable_dir(self.bases)
            if self._folder is None:
                log.error("no usable directory for shared-memory maps in %s", ", ".join(self.bases))
        return self._folder

    def begin(
        self, capabilities: Mapping[str, str], inputs: Mapping[str, pb.TypedData]
    ) -> tuple[InvocationMaps | None, Mapping[str, pb.TypedData]]:
        """Write the eligible inputs to maps (None when the worker does not take shared memory);
        the inputs left to send inline. Add the maps to the request with ``add_to``."""
        if not capabilities.get(CAPABILITY) or self.folder is None:
            return None, inputs
        maps = InvocationMaps(self)
        return maps, maps.put_inputs(inputs)

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            folder = self.live.pop(name, None) or self.folder
            if folder is not None:
                remove_map(folder, name)

    def remove_all(self) -> None:
        """At stop: every map still known (inputs of unfinished invocations, unclosed outputs)."""
        self.remove(list(self.live))


class InvocationMaps:
    """The maps of one invocation: the host's inputs and the worker's outputs."""

    def __init__(self, owner: HostMaps) -> None:
        self.owner = owner
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.bindings: list[pb.ParameterBinding] = []

    def put_inputs(self, inputs: Mapping[str, pb.TypedData]) -> dict[str, pb.TypedData]:
        """Each eligible input into a new map (before the request is built, so the value is not
        copied into it); the inputs that stay inline."""
        folder = self.owner.folder
        assert folder is not None
        inline = {}
        for name, data in inputs.items():
            found = eligible(data)
            if found is None:
                inline[name] = data
                continue
            content, kind = found
            map_name = str(uuid.uuid4())
            try:
                write_map(folder, map_name, content)
            except MapError as exc:  # the platform falls back to gRPC
                log.warning("input '%s' sent inline: %s", name, exc)
                inline[name] = data
                continue
            self.owner.live[map_name] = folder
            self.inputs.append(map_name)
            self.bindings.append(
                pb.ParameterBinding(
                    name=name,
                    rpc_shared_memory=pb.RpcSharedMemory(name=map_name, offset=0, count=len(content), type=kind),
                )
            )
        return inline

    def add_to(self, request: pb.InvocationRequest) -> None:
        """The inputs in maps, as ParameterBindings of the request."""
        request.input_data.extend(self.bindings)

    def take_outputs(self, response: pb.InvocationResponse) -> str:
        """Replace each output the worker put in a map by its value; an error message, or ""."""
        folder = self.owner.folder
        problems = []
        for binding in response.output_data:
            if binding.WhichOneof("rpc_data") != "rpc_shared_memory":
                continue
            shared = binding.rpc_shared_memory
            name = shared.name
            self.outputs.append(name)
            self.owner.live[name] = folder or ""
            try:
                content = read_map(folder or "", name, shared.offset, shared.count)
                value: Any = content if shared.type == _BYTES else content.decode("utf-8")
            except (MapError, UnicodeDecodeError) as exc:
                problems.append(f"output '{binding.name}' could not be read from shared memory: {exc}")
                continue
            if shared.type == _BYTES:
                binding.data.bytes = value
            elif shared.type == _STRING:
                binding.data.string = value
            else:
                problems.append(f"output '{binding.name}' came in shared memory with unsupported type {shared.type}")
        return "; ".join(problems)

    async def finish(self, channel: Any) -> None:
        """Remove the host's input maps, ask the worker to close its output maps, and remove any
        the worker could not (the platform would leave those behind)."""
        self.owner.remove(self.inputs)
        self.inputs = []
        names, self.outputs = self.outputs, []
        if not names:
            return
        closed: Mapping[str, bool] = {}
        if channel is not None:
            try:
                closed = (await channel.close_shared_memory(names)).close_map_results
            except Exception as exc:  # the worker went away: the host removes them itself
                log.warning("CloseSharedMemoryResourcesRequest not answered: %s", exc)
        left = [n for n in names if not closed.get(n)]
        if left:
            log.warning("the worker did not close shared-memory maps %s; removing them", ", ".join(left))
        self.owner.remove(names)  # a closed one is already gone: removing it again is harmless
