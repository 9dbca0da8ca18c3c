"""Shared-memory data transfer (protocol §14): large bytes/string values travel in memory-mapped
files instead of the gRPC stream. Kept light: the map code is imported on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..protos import pb
    from ..settings import Settings
    from .transfer import WorkerMaps

#: advertised in WorkerInitResponse (the official worker advertises it whatever the setting)
CAPABILITY = "SharedMemoryDataTransfer"
#: host capability: the host caches maps, so the worker must not delete those it created
DATA_CACHE_CAPABILITY = "FunctionDataCache"

_lock = threading.Lock()
_active: WorkerMaps | None = None


def configure(settings: Settings, host_capabilities: dict[str, str]) -> None:
    """Apply the settings (at init and environment reload); maps already created stay tracked."""
    global _active
    cache = host_capabilities.get(DATA_CACHE_CAPABILITY, "").lower() == "true"
    with _lock:
        if _active is None and not settings.shared_memory_enabled:
            return  # nothing to track yet: stay unimported
        from .transfer import WorkerMaps

        if _active is None:
            _active = WorkerMaps(settings.shared_memory_enabled, settings.shared_memory_dirs, cache)
        else:
            _active.reconfigure(settings.shared_memory_enabled, settings.shared_memory_dirs, cache)


def active() -> WorkerMaps:
    """The worker's maps (made from the environment if init has not configured them)."""
    global _active
    with _lock:
        if _active is None:
            from ..settings import Settings
            from .transfer import WorkerMaps

            settings = Settings.from_env()
            _active = WorkerMaps(settings.shared_memory_enabled, settings.shared_memory_dirs, False)
        return _active


def direct_writer() -> Callable[[Callable[[Any, pb.TypedData], bool], Any, pb.ParameterBinding], bool] | None:
    """``write(codec, value, binding)`` putting a large bytes/str output straight into a map, or
    None when outputs stay inline."""
    maps = _active
    return maps.put_direct if maps is not None and maps.enabled else None


def move_outputs(outputs: Iterable[pb.ParameterBinding]) -> None:
    """Put the other eligible output bindings (not the return value) into new maps, when enabled."""
    maps = _active
    if maps is not None and maps.enabled:
        maps.move_outputs(outputs)
