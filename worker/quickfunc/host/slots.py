"""One place in the worker pool: its current process and stream, its state (running, restarting,
waiting to restart), and the back-off between restart attempts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from quickfunc.host.process import WorkerProcess
from quickfunc.host.worker_channel import WorkerChannel

__all__ = ["STARTING", "RUNNING", "RESTARTING", "WAITING", "STOPPED", "WorkerSlot", "restart_delay"]

STARTING = "Starting"
RUNNING = "Running"
RESTARTING = "Restarting"
WAITING = "WaitingToRestart"
STOPPED = "Stopped"


def restart_delay(attempts: int, first: float, most: float) -> float:
    """Pause before restart attempt number ``attempts + 1`` in a row: none for the first, then
    ``first``, doubling, at most ``most``."""
    if attempts <= 0:
        return 0.0
    return min(first * 2 ** min(attempts - 1, 30), most)


@dataclass
class WorkerSlot:
    """One place in the pool; its process is replaced when it dies."""

    index: int
    process: WorkerProcess | None = None
    channel: WorkerChannel | None = None
    ready: bool = False
    outstanding: int = 0
    #: resolves to a sentence describing how the current process ended
    death: asyncio.Future[str] | None = None
    #: why the host is stopping this process on purpose (e.g. a timed-out invocation)
    kill_reason: str = ""
    watcher: asyncio.Task | None = None
    capabilities: dict[str, str] = field(default_factory=dict)
    #: "<major>.<minor>" the worker reported at init
    runtime_version: str = ""
    state: str = STARTING
    #: restart attempts so far, and in a row without a worker that stayed up (the back-off)
    restarts: int = 0
    attempts_in_a_row: int = 0
    #: loop time the current process became ready, and of the next attempt while waiting
    ready_since: float = 0.0
    next_attempt: float = 0.0
    #: how the last process ended or the last restart attempt failed
    last_error: str = ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.pid is not None and self.process.returncode is None

    @property
    def connected(self) -> bool:
        """Its process runs and its stream is open."""
        return self.alive and self.channel is not None and not self.channel.closed.is_set()

    @property
    def label(self) -> str:
        return f"worker {self.index + 1}, pid {self.pid}"

    def report(self, now: float) -> dict[str, Any]:
        """This slot in /admin/host/status: a dead process's pid is not shown as running."""
        record: dict[str, Any] = {
            "worker": self.index + 1,
            "state": self.state,
            "pid": self.pid if self.alive else None,
            "restarts": self.restarts,
        }
        if self.last_error:
            record["lastError"] = self.last_error
        if self.state == WAITING:
            record["nextAttemptInSeconds"] = round(max(0.0, self.next_attempt - now), 1)
        return record
