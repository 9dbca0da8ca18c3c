"""History events as the orchestration trigger receives them (the Durable Task framework's JSON:
EventType, EventId, IsPlayed, Timestamp and the fields of each type), and the runtime statuses."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["Ev", "Status", "now_text", "event", "FINAL"]


class Ev:
    """HistoryEventType numbers."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_CREATED = 7
    SUB_COMPLETED = 8
    SUB_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


#: names of the event types, for status history and the console
EVENT_NAMES = {
    value: "".join(part.title() for part in name.split("_"))
    for name, value in vars(Ev).items()
    if not name.startswith("_")
}
EVENT_NAMES.update(
    {
        Ev.SUB_CREATED: "SubOrchestrationInstanceCreated",
        Ev.SUB_COMPLETED: "SubOrchestrationInstanceCompleted",
        Ev.SUB_FAILED: "SubOrchestrationInstanceFailed",
    }
)


class Status:
    """runtimeStatus values."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    TERMINATED = "Terminated"
    SUSPENDED = "Suspended"


#: statuses an instance never leaves
FINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.TERMINATED})


def now_text(when: float | None = None) -> str:
    """An ISO 8601 UTC timestamp (what the library parses with dateutil)."""
    moment = datetime.now(timezone.utc) if when is None else datetime.fromtimestamp(when, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(kind: int, timestamp: str | None = None, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """One history event."""
    return {"EventType": kind, "EventId": event_id, "IsPlayed": False, "Timestamp": timestamp or now_text(), **fields}


def public_event(raw: dict[str, Any], with_output: bool) -> dict[str, Any]:
    """A history event as GET .../instances/{id}?showHistory=true shows it."""
    shown: dict[str, Any] = {"EventType": EVENT_NAMES.get(raw["EventType"], str(raw["EventType"]))}
    for key, value in raw.items():
        if key in ("EventType", "IsPlayed"):
            continue
        if key in ("Result", "Input") and not with_output:
            continue
        shown[key] = value
    return shown
