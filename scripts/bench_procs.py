"""The benchmark's processes (scripts/bench.py): core pinning, starting worker or floor, the host
conversation up to all functions loaded, stopping, and the cold-start measurement."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import psutil
from bench_config import (
    CONNECT_TIMEOUT,
    EXIT_TIMEOUT,
    FLOOR_SCRIPT,
    PYCACHE,
    REPO_ROOT,
    SUCCESS,
    TARGETS,
    V1_APP,
    ColdCase,
)

from quickfunc.host.function_json import discover_v1_functions
from quickfunc.host.process import WorkerCommand, WorkerProcess
from quickfunc.host.request_builders import indexed_load_metadata
from quickfunc.host.rpc_server import RpcServer
from quickfunc.host.startup import wait_connected
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.protos import pb

# --------------------------------------------------------------------------------------------
# pinning
# --------------------------------------------------------------------------------------------


@dataclass
class Pinning:
    """Which cores the benchmark process and the worker processes run on (None: not pinned)."""

    host: set[int] | None
    worker: set[int] | None
    reason: str
    #: cores this process could use before pinning itself
    usable: int = 0

    def describe(self) -> str:
        """Human-readable pinning for the version line."""
        if self.host is None:
            return f"off ({self.reason})"
        return (
            f"host side on core {','.join(map(str, sorted(self.host)))}, "
            f"worker on core {','.join(map(str, sorted(self.worker or ())))}"
        )

    def pin_host(self) -> None:
        """Pin every thread of this process to the host core."""
        if self.host is not None:
            pin_threads(os.getpid(), self.host)

    def pin_worker(self, pid: int | None) -> None:
        """Pin every thread of a spawned process to the worker core."""
        if self.worker is not None and pid is not None:
            pin_threads(pid, self.worker)


def plan_pinning(enabled: bool) -> Pinning:
    """Host on the first usable core, worker on the second, when there are two or more."""
    if not hasattr(os, "sched_setaffinity"):
        return Pinning(None, None, "no sched_setaffinity on this platform", os.cpu_count() or 1)
    usable = sorted(os.sched_getaffinity(0))
    if not enabled:
        return Pinning(None, None, "--no-pin", len(usable))
    if len(usable) < 2:
        return Pinning(None, None, "fewer than 2 usable cores", len(usable))
    return Pinning({usable[0]}, {usable[1]}, "", len(usable))


def pin_threads(pid: int, cores: set[int]) -> int:
    """Set the affinity of every thread of ``pid`` (a pid alone only moves its main thread)."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    pinned = 0
    for tid in tids[:100_000]:
        try:
            os.sched_setaffinity(tid, cores)
            pinned += 1
        except OSError:  # the thread ended meanwhile
            pass
    return pinned


# --------------------------------------------------------------------------------------------
# starting processes and the host conversation
# --------------------------------------------------------------------------------------------


def worker_command(label: str) -> WorkerCommand:
    """``python -m quickfunc`` or ``python scripts/floor_worker.py``."""
    if label == "floor":
        return WorkerCommand(module=None, script=FLOOR_SCRIPT)
    return WorkerCommand(module="quickfunc")


def worker_env() -> dict[str, str]:
    """This environment, this checkout first on PYTHONPATH, the host's thread-pool default.

    Bytecode is cached (outside the checkout) even if PYTHONDONTWRITEBYTECODE is set here, so
    that cold starts time the worker rather than compiling it.
    """
    env = dict(os.environ)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    # the source root (worker/) of this checkout, so the commit the report names is the code run
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(REPO_ROOT, "worker"), REPO_ROOT, *paths])
    env.setdefault("PYTHON_THREADPOOL_THREAD_COUNT", "1000")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", PYCACHE)
    return env


async def connect(server: RpcServer, process: WorkerProcess) -> WorkerChannel:
    """The worker's channel once it sent StartStream, or an error naming what it printed."""
    return await wait_connected(server, process, CONNECT_TIMEOUT)


def require(ok: bool, what: str, result: pb.StatusResult) -> None:
    """Raise with the worker's exception message unless ``ok``."""
    if not ok:
        raise RuntimeError(f"{what} failed: {result.exception.message}")


async def load_functions(channel: WorkerChannel, found: list[tuple[str, pb.RpcFunctionMetadata]]) -> None:
    """One collection if the worker advertised it (as the host does), else one load each."""
    caps = {k.lower(): v for k, v in channel.worker_capabilities.items()}
    if caps.get("supportsloadresponsecollection", "").lower() == "true":
        requests = [pb.FunctionLoadRequest(function_id=fid, metadata=md) for fid, md in found]
        responses = await channel.load_collection(requests, timeout=60.0)
    else:
        responses = await asyncio.gather(*(channel.load(fid, md, timeout=60.0) for fid, md in found))
    for (_, md), resp in zip(found, responses, strict=True):
        require(resp.result.status == SUCCESS, f"loading {md.name}", resp.result)


async def index_app(
    channel: WorkerChannel,
    app_dir: str,
    fallback_dir: str | None,
) -> list[tuple[str, pb.RpcFunctionMetadata]]:
    """Metadata request; the worker's own index, or function.json folders when it defers."""
    meta = await channel.functions_metadata(app_dir, timeout=60.0)
    require(meta.result.status == SUCCESS, "function metadata request", meta.result)
    if not meta.use_default_metadata_indexing:
        for md in meta.function_metadata_results:
            require(md.status.status == SUCCESS, f"indexing {md.name}", md.status)
        return [(md.function_id, indexed_load_metadata(md)) for md in meta.function_metadata_results]
    # the floor cannot index decorators: it gets the same functions from the v1 folders
    return discover_v1_functions(app_dir) or (discover_v1_functions(fallback_dir) if fallback_dir else [])


async def handshake(
    channel: WorkerChannel, process: WorkerProcess, app_dir: str, fallback_dir: str | None
) -> tuple[dict[str, str], dict[str, float]]:
    """init → metadata → loads, as the host does; ({name: function id}, perf_counter marks)."""
    marks: dict[str, float] = {}
    init = await channel.init(app_dir, process.command.worker_directory(), timeout=30.0)
    require(init.result.status == SUCCESS, "worker init", init.result)
    marks["init"] = time.perf_counter()
    found = await index_app(channel, app_dir, fallback_dir)
    marks["metadata"] = time.perf_counter()
    if not found:
        raise RuntimeError(f"no functions found in {app_dir}")
    await load_functions(channel, found)
    marks["loaded"] = time.perf_counter()
    return {md.name: fid for fid, md in found}, marks


async def stop_process(process: WorkerProcess, channel: WorkerChannel | None) -> None:
    """End the stream, wait for the exit, kill after EXIT_TIMEOUT."""
    if channel is not None:
        await channel.close(timeout=5.0)
    if process.pid is None:
        return
    try:
        await process.wait(EXIT_TIMEOUT)
    except asyncio.TimeoutError:
        await process.kill()
        await process.wait(EXIT_TIMEOUT)


@dataclass
class Target:
    """A started, loaded process (worker or floor) and how to reach it."""

    label: str
    process: WorkerProcess
    channel: WorkerChannel
    functions: dict[str, str]
    ps: psutil.Process
    rss_after_load: int


async def start_target(server: RpcServer, label: str, pinning: Pinning) -> Target:
    """Spawn, pin, handshake and load the v1 benchmark app."""
    process = WorkerProcess(worker_command(label))
    server.expect(process.worker_id)
    channel: WorkerChannel | None = None
    try:
        await process.start("127.0.0.1", server.port, V1_APP, worker_env(), inherit_env=False)
        pinning.pin_worker(process.pid)
        channel = await connect(server, process)
        functions, _ = await handshake(channel, process, V1_APP, V1_APP)
        pinning.pin_worker(process.pid)  # threads started before the first pin
        ps = psutil.Process(process.pid)
        return Target(label, process, channel, functions, ps, ps.memory_info().rss)
    except BaseException:
        await stop_process(process, channel)
        raise


# --------------------------------------------------------------------------------------------
# cold start
# --------------------------------------------------------------------------------------------


async def cold_start_once(server: RpcServer, label: str, case: ColdCase, pinning: Pinning) -> dict[str, float]:
    """Milliseconds from just before the spawn to StartStream, init response and all loaded."""
    process = WorkerProcess(worker_command(label))
    server.expect(process.worker_id)
    channel: WorkerChannel | None = None
    fallback = V1_APP if label == "floor" else None
    t0 = time.perf_counter()
    try:
        await process.start("127.0.0.1", server.port, case.app_dir, worker_env(), inherit_env=False)
        pinning.pin_worker(process.pid)
        channel = await connect(server, process)
        stream = time.perf_counter()
        functions, marks = await handshake(channel, process, case.app_dir, fallback)
    finally:
        await stop_process(process, channel)
    ms = {k: (v - t0) * 1e3 for k, v in marks.items()}
    return {
        "start_stream_ms": (stream - t0) * 1e3,
        "init_ms": ms["init"],
        "metadata_ms": ms["metadata"],
        "loaded_ms": ms["loaded"],
        "functions": float(len(functions)),
    }


async def run_cold_case(server: RpcServer, case: ColdCase, runs: int, pinning: Pinning) -> dict[str, dict[str, Any]]:
    """One warm-up and ``runs`` cold starts per target, alternating; medians and raw runs."""
    raw: dict[str, list[dict[str, float]]] = {label: [] for label in TARGETS}
    for label in TARGETS:  # one unmeasured start each: page cache and .pyc files warm
        await cold_start_once(server, label, case, pinning)
    for i in range(runs):
        for label in TARGETS if i % 2 == 0 else TARGETS[::-1]:
            raw[label].append(await cold_start_once(server, label, case, pinning))
    out: dict[str, dict[str, Any]] = {}
    for label, runs_ in raw.items():
        keys = ("start_stream_ms", "init_ms", "metadata_ms", "loaded_ms")
        out[label] = {k: statistics.median(r[k] for r in runs_) for k in keys}
        out[label]["loaded_min_ms"] = min(r["loaded_ms"] for r in runs_)
        out[label]["loaded_max_ms"] = max(r["loaded_ms"] for r in runs_)
        out[label]["functions"] = runs_[0]["functions"]
        out[label]["runs"] = runs_
    return out
