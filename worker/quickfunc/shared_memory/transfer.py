"""The worker's side of shared-memory transfer: inputs read from the host's maps, large outputs
written to new maps, and those maps closed when the host asks (or left behind at exit)."""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..console import SYSTEM_LOGGER
from ..protos import pb
from . import maps

log = logging.getLogger(SYSTEM_LOGGER)

_BYTES: Any = pb.RpcDataType.Value("bytes")
_STRING: Any = pb.RpcDataType.Value("string")


_DIRECT_KINDS: dict[type, str] = {bytes: "bytes", str: "string"}


class InputError(Exception):
    """An input the host put in shared memory that cannot be read."""


class SharedValue:
    """An input read from a map, in the shape the codecs read a TypedData (no copy into protobuf)."""

    __slots__ = ("kind", "bytes", "string")

    def __init__(self, kind: str, value: bytes | str) -> None:
        self.kind = kind
        self.bytes = value if kind == "bytes" else b""
        self.string = value if kind == "string" else ""

    def WhichOneof(self, group: str) -> str | None:  # noqa: N802 (protobuf's name)
        return self.kind if group == "data" else None


class WorkerMaps:
    """The maps this worker created for outputs, by name, until the host has read them."""

    def __init__(self, enabled: bool, bases: Sequence[str], function_data_cache: bool) -> None:
        self._lock = threading.Lock()
        self._created: dict[str, str] = {}  # name → path
        self._exit_hook = False
        self.reconfigure(enabled, bases, function_data_cache)

    def reconfigure(self, enabled: bool, bases: Sequence[str], function_data_cache: bool) -> None:
        self.enabled = enabled
        self.function_data_cache = function_data_cache
        self.bases = tuple(bases)
        self._dirs: list[str] | None = None  # made on first use

    @property
    def dirs(self) -> list[str]:
        if self._dirs is None:
            self._dirs = maps.usable_dirs(self.bases)
            if not self._dirs:
                log.error("no usable directory for shared-memory maps in %s", ", ".join(self.bases))
        return self._dirs

    @property
    def created(self) -> list[str]:
        with self._lock:
            return list(self._created)

    # ---- host → worker -------------------------------------------------------------------------

    def read_input(self, shared: pb.RpcSharedMemory) -> SharedValue:
        """The value an input in shared memory stands for (bytes, or UTF-8 text for string)."""
        if shared.type not in (_BYTES, _STRING):
            kind = pb.RpcDataType.Name(shared.type) if shared.type in pb.RpcDataType.values() else shared.type
            raise InputError(f"shared-memory map {shared.name!r} has type {kind}; only bytes and string are supported")
        try:
            content = maps.read(self.dirs, shared.name, shared.offset, shared.count)
        except maps.MapError as exc:
            raise InputError(str(exc)) from None
        if shared.type == _BYTES:
            return SharedValue("bytes", content)
        try:
            return SharedValue("string", content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InputError(
                f"shared-memory map {shared.name!r} is not valid UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None

    # ---- worker → host -------------------------------------------------------------------------

    def put_direct(self, codec: Callable[[Any, pb.TypedData], bool], value: Any, binding: pb.ParameterBinding) -> bool:
        """Write an output of exactly bytes or str straight from the function's value to a map,
        sparing two copies through protobuf; the codec first encodes an empty value of that type,
        so a binding that refuses or converts that type goes the normal way. False: not done."""
        kind = _DIRECT_KINDS.get(type(value))
        if kind is None:
            return False
        if not (maps.eligible_size(len(value), text=kind == "string") or self.function_data_cache):
            return False
        probe = pb.TypedData()
        try:
            if not codec(type(value)(), probe) or probe.WhichOneof("data") != kind:
                return False
        except Exception:  # the codec refuses the type: the real call reports it
            return False
        shared = self._put(value if kind == "bytes" else value.encode("utf-8"), _BYTES if kind == "bytes" else _STRING)
        if shared is None:
            return False
        binding.rpc_shared_memory.CopyFrom(shared)
        return True

    def move_outputs(self, outputs: Iterable[pb.ParameterBinding]) -> None:
        """Move each other eligible output (bytes or string, in the size range, or any size with
        the host's data cache) into a new map; on any failure it stays inline."""
        for binding in outputs:
            if binding.WhichOneof("rpc_data") != "data":
                continue
            data = binding.data
            kind = data.WhichOneof("data")
            if kind not in ("bytes", "string"):
                continue
            value = data.bytes if kind == "bytes" else data.string
            if not (maps.eligible_size(len(value), text=kind == "string") or self.function_data_cache):
                continue
            if isinstance(value, str):
                value = value.encode("utf-8")
            shared = self._put(value, _BYTES if kind == "bytes" else _STRING)
            if shared is not None:
                binding.rpc_shared_memory.CopyFrom(shared)  # clears `data` (one of rpc_data)

    def _put(self, content: bytes, kind: Any) -> pb.RpcSharedMemory | None:
        name = str(uuid.uuid4())
        try:
            path = maps.create(self.dirs, name, content)
        except maps.MapError as exc:
            log.warning("output sent inline: %s", exc)
            return None
        with self._lock:
            self._created[name] = path
            if not self._exit_hook:
                self._exit_hook = True
                atexit.register(self.close_all)
        return pb.RpcSharedMemory(name=name, offset=0, count=len(content), type=kind)

    # ---- CloseSharedMemoryResourcesRequest -----------------------------------------------------

    def close(self, names: Iterable[str]) -> dict[str, bool]:
        """Drop each named map this worker created, deleting its file unless the host caches maps;
        a name it did not create is False (and logged)."""
        results = {}
        unknown = []
        for name in names:
            with self._lock:
                path = self._created.pop(name, None)
            if path is None:
                unknown.append(name)
                results[name] = False
            elif self.function_data_cache:
                results[name] = True  # the host owns it from now on
            else:
                results[name] = maps.delete(self.dirs, name)
        if unknown:
            log.error("cannot close shared-memory maps this worker did not create: %s", ", ".join(unknown))
        return results

    def close_all(self) -> None:
        """At exit: remove the maps the host never asked to close (unless it caches them)."""
        names = self.created
        if names and not self.function_data_cache:
            self.close(names)
