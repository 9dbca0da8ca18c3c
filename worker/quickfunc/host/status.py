"""``GET /admin/host/status``: the Functions host's fields (id, state, version, processUptime,
errors) plus ours: the function count and each worker process with its own state."""

from __future__ import annotations

import re
import socket
import time
import zlib
from typing import Any

import quickfunc
from quickfunc.host.config import HostConfig
from quickfunc.host.pool import WorkerPool
from quickfunc.host.slots import WAITING

__all__ = ["host_id", "host_status"]

_STARTED = time.monotonic()


def host_id(app_dir: str) -> str:
    """Like the Functions host's local id: machine name and a stable number from the app folder,
    lower case, at most 32 characters."""
    machine = re.sub(r"[^a-z0-9-]", "", socket.gethostname().lower()) or "localhost"
    text = f"{machine}-{zlib.crc32(app_dir.encode('utf-8'))}"
    return text[:32].rstrip("-")


def host_status(config: HostConfig, pool: WorkerPool, functions: int) -> dict[str, Any]:
    """The status document. ``state`` is Running only while a worker process serves the app;
    ``workers`` lists the pids of the processes serving it (none that has died)."""
    state = pool.state
    status: dict[str, Any] = {
        "id": host_id(config.app_dir),
        "state": state,
        "version": quickfunc.__version__,
        "processUptime": int((time.monotonic() - _STARTED) * 1000),
        "functions": functions,
        "workers": [s.pid for s in pool.slots if s.ready and s.alive],
        "workerProcesses": pool.report(),
    }
    if state == "Error" or any(s.state == WAITING for s in pool.slots):
        status["errors"] = [pool.problem()]
    return status
