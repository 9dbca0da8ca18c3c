"""The engine's records: an instance as stored, a piece of work (activity or timer), a
sub-orchestration to start, an event for another queue, and the Plan one episode commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Instance", "Work", "NewInstance", "Notice", "Plan"]


@dataclass
class Instance:
    """One orchestration instance as stored."""

    id: str
    name: str
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created: float
    updated: float
    parent: str | None = None
    parent_task: int | None = None
    #: what the parent needs to know when this sub-orchestration ends (its retry options)
    parent_meta: str | None = None
    next_id: int = 0
    actions_done: int = 0


@dataclass
class Work:
    """An activity to run or a timer to fire, for ``instance``'s task ``task_id``."""

    kind: str  # "activity" | "timer"
    task_id: int
    name: str
    input: str | None
    due: float
    meta: dict[str, Any] = field(default_factory=dict)
    instance: str = ""
    seq: int = 0


@dataclass
class NewInstance:
    """A sub-orchestration to start."""

    id: str
    name: str
    input: str | None
    parent: str
    parent_task: int
    parent_meta: dict[str, Any] | None = None


@dataclass
class Notice:
    """An event for another instance's inbox (a sub-orchestration's end, for its parent)."""

    instance: str
    event: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    #: an operation for an entity's queue (entities have no instance row)
    entity: bool = False


@dataclass
class Plan:
    """What one episode changes, applied in one transaction."""

    instance: str
    consumed: list[int]
    history: list[dict[str, Any]]
    status: str
    next_id: int
    actions_done: int
    output: str | None = None
    custom_status: str | None = None
    work: list[Work] = field(default_factory=list)
    children: list[NewInstance] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    #: continue-as-new: the new input (the history starts again)
    restart_input: str | None = None
    restart: bool = False
    #: when the instance the episode read was created (a plan for a replaced instance is dropped)
    created: float = 0.0
