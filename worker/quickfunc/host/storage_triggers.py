"""What the queue and blob trigger services share: which functions get a listener and on which
backend, and stopping the listeners within one deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.queue_messages import MessageError
from quickfunc.host.storage.interface import StorageBackend

if TYPE_CHECKING:
    from quickfunc.host.storage.resolve import StorageConnections

__all__ = ["listened_functions", "stop_listeners"]

T = TypeVar("T")


class _Stoppable(Protocol):
    async def stop(self, timeout: float) -> bool: ...


def listened_functions(
    catalog: Catalog, trigger_type: str, storage: StorageConnections, locate: Callable[[FunctionSpec], T]
) -> Iterator[tuple[FunctionSpec, StorageBackend, T]]:
    """Each runnable function with this trigger (case-insensitive), its backend and what `locate`
    finds for it (its queue, its blob pattern). A function whose trigger names something that
    cannot be resolved gets that as its error and no listener."""
    for spec in catalog.functions:
        trigger = spec.trigger
        if trigger is None or spec.trigger_type.lower() != trigger_type or spec.disabled or not spec.runnable:
            continue
        try:
            where = locate(spec)
        except MessageError as exc:
            spec.error = str(exc)
            continue
        resolved = storage.get(str(trigger.get("connection") or ""))
        if resolved is None:
            spec.error = f"function {spec.name}: its storage connection was not resolved at start"
            continue
        yield spec, resolved.backend, where


async def stop_listeners(listeners: Sequence[_Stoppable], deadline: float) -> bool:
    """Stop each listener, letting its work in progress finish until ``deadline`` (monotonic)."""
    done = True
    for listener in listeners:
        done = await listener.stop(deadline - time.monotonic()) and done
    return done
