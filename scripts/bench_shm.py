"""The shm_16m case of the benchmark (scripts/bench.py, issue 15): a 16 MiB blob input echoed to a
blob output by the real worker, host-side code from quickfunc.host, once through shared memory
and once through the gRPC stream; MiB/s and peak RSS of each side, every round in fresh processes.

Each mode runs in its own child process (``python scripts/bench_shm.py MODE COUNT``) so that peak
RSS (VmHWM) belongs to that mode alone: the child is the host side, its worker the other.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import psutil
from bench_config import APPS_DIR, MIB, REPO_ROOT, SUCCESS
from bench_procs import connect, handshake, stop_process, worker_env

SHM_APP = os.path.join(APPS_DIR, "shm")
SIZE = 16 * MIB
ECHOES = 20  # per round and mode, after WARMUP
WARMUP = 3
MODES = ("grpc", "shm")
CHILD_TIMEOUT = 300.0
#: the cores this process may use before bench.py pins it; each child (and its worker) gets them all
ALL_CORES = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def peak_rss_mib(pid: int | str = "self") -> float:
    """VmHWM of a process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def child(mode: str, count: int) -> dict[str, Any]:
    """Start a worker (setting on for shm), echo ``count`` times; figures of this mode."""
    from quickfunc.host.process import WorkerCommand, WorkerProcess
    from quickfunc.host.request_builders import build_invocation
    from quickfunc.host.rpc_server import RpcServer
    from quickfunc.host.shared_memory import HostMaps
    from quickfunc.protos import pb

    base = tempfile.mkdtemp(prefix="qf-shm-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    env = worker_env()
    env["FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES"] = base
    env["FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED"] = "true" if mode == "shm" else "false"
    server = RpcServer()
    await server.start("127.0.0.1", 0)
    process = WorkerProcess(WorkerCommand(module="quickfunc"))
    server.expect(process.worker_id)
    channel = None
    maps = HostMaps([base]) if mode == "shm" else None
    content = os.urandom(SIZE)
    try:
        await process.start("127.0.0.1", server.port, SHM_APP, env, inherit_env=False)
        channel = await connect(server, process)
        ids, _ = await handshake(channel, process, SHM_APP, None)
        http = pb.TypedData(http=pb.RpcHttp(method="GET", url="http://127.0.0.1/api/ShmEcho"))

        async def echo() -> None:
            inputs: Mapping[str, pb.TypedData] = {"req": http, "inp": pb.TypedData(bytes=content)}  # a blob input
            used, inputs = maps.begin(channel.worker_capabilities, inputs) if maps is not None else (None, inputs)
            if maps is not None and not used:
                raise RuntimeError("the worker did not take shared memory")
            request = build_invocation(ids["ShmEcho"], inputs, None)
            if used is not None:
                used.add_to(request)
            response = await channel.invoke(request, timeout=60.0)
            if used is not None:
                problem = used.take_outputs(response)
                await used.finish(channel)
                if problem:
                    raise RuntimeError(problem)
            if response.result.status != SUCCESS:
                raise RuntimeError(response.result.exception.message)
            out = next(o for o in response.output_data if o.name == "copy")
            if out.data.bytes != content:
                raise RuntimeError(f"the echo differs ({len(out.data.bytes)} bytes back)")

        for _ in range(WARMUP):
            await echo()
        worker = psutil.Process(process.pid)
        cpu_before = sum(psutil.Process().cpu_times()[:2]) + sum(worker.cpu_times()[:2])
        started = time.perf_counter()
        for _ in range(count):
            await echo()
        took = time.perf_counter() - started
        cpu = sum(psutil.Process().cpu_times()[:2]) + sum(worker.cpu_times()[:2]) - cpu_before
        left = (
            os.listdir(os.path.join(base, "AzureFunctions"))
            if os.path.isdir(os.path.join(base, "AzureFunctions"))
            else []
        )
        return {
            "mode": mode,
            "echoes": count,
            "mib_per_s": count * SIZE / MIB / took,
            "ms_per_echo": took / count * 1000,
            "cpu_ms_per_echo": cpu / count * 1000,
            "host_peak_rss_mib": peak_rss_mib(),
            "worker_peak_rss_mib": peak_rss_mib(process.pid) if process.pid else float("nan"),
            "maps_left": len(left),
        }
    finally:
        await stop_process(process, channel)
        await server.stop(0)
        for root, _, files in os.walk(base, topdown=False):
            for name in files:
                os.unlink(os.path.join(root, name))
            os.rmdir(root)


def run_mode(mode: str, count: int) -> dict[str, Any]:
    """One child process for one mode; its JSON line."""
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), mode, str(count)],
        cwd=REPO_ROOT,
        env={**worker_env(), "QUICKFUNC_BENCH_CORES": ",".join(map(str, sorted(ALL_CORES or ())))},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"shm_16m {mode} child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_shm_case(rounds: int, count: int = ECHOES) -> dict[str, Any]:
    """Rounds alternate which mode goes first; medians per mode (peaks: the highest seen)."""
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for i in range(rounds):
        for mode in MODES if i % 2 == 0 else MODES[::-1]:
            runs[mode].append(run_mode(mode, count))
    out: dict[str, Any] = {}
    for mode, rs in runs.items():
        out[mode] = {
            "mib_per_s": statistics.median(r["mib_per_s"] for r in rs),
            "ms_per_echo": statistics.median(r["ms_per_echo"] for r in rs),
            "cpu_ms_per_echo": statistics.median(r["cpu_ms_per_echo"] for r in rs),
            "host_peak_rss_mib": max(r["host_peak_rss_mib"] for r in rs),
            "worker_peak_rss_mib": max(r["worker_peak_rss_mib"] for r in rs),
            "maps_left": sum(r["maps_left"] for r in rs),
            "runs": rs,
        }
    return out


def shm_rows(res: dict[str, Any], rounds: int) -> list[tuple[str, str, str, str, str]]:
    """Table rows: shared memory beside the gRPC path (the 'floor' column)."""
    s, g = res["shm"], res["grpc"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    return [
        (
            f"shm_16m blob echo 16 MiB in+out (median of {rounds})",
            "MiB/s shared memory (floor: gRPC)",
            f"{s['mib_per_s']:,.0f}",
            f"{g['mib_per_s']:,.0f}",
            ratio(s["mib_per_s"], g["mib_per_s"]),
        ),
        (
            "",
            "ms per echo",
            f"{s['ms_per_echo']:.1f}",
            f"{g['ms_per_echo']:.1f}",
            ratio(s["ms_per_echo"], g["ms_per_echo"]),
        ),
        (
            "",
            "host + worker CPU ms per echo",
            f"{s['cpu_ms_per_echo']:.1f}",
            f"{g['cpu_ms_per_echo']:.1f}",
            ratio(s["cpu_ms_per_echo"], g["cpu_ms_per_echo"]),
        ),
        (
            "",
            "worker peak RSS MiB",
            f"{s['worker_peak_rss_mib']:.0f}",
            f"{g['worker_peak_rss_mib']:.0f}",
            ratio(s["worker_peak_rss_mib"], g["worker_peak_rss_mib"]),
        ),
        (
            "",
            "host side peak RSS MiB",
            f"{s['host_peak_rss_mib']:.0f}",
            f"{g['host_peak_rss_mib']:.0f}",
            ratio(s["host_peak_rss_mib"], g["host_peak_rss_mib"]),
        ),
        ("", "map files left", str(s["maps_left"]), str(g["maps_left"]), "n/a"),
    ]


if __name__ == "__main__":
    cores = os.environ.get("QUICKFUNC_BENCH_CORES")
    if cores and hasattr(os, "sched_setaffinity"):  # bench.py pinned itself: undo it for this mode
        os.sched_setaffinity(0, {int(c) for c in cores.split(",")})
    figures = asyncio.run(asyncio.wait_for(child(sys.argv[1], int(sys.argv[2])), CHILD_TIMEOUT))
    print(json.dumps(figures))
