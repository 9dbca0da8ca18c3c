"""Benchmark the worker against a floor, both driven by the same host-side code (issue 7).

Usage::

    python scripts/bench.py [--rounds N] [--duration S] [--cases a,b,...] [--quick]
                            [--no-pin] [--json PATH]

Two processes are started with ``quickfunc.host`` (the code a test host uses): the real worker
(``python -m quickfunc``) and the floor (``scripts/floor_worker.py``, which answers every invocation
at once with a canned success). Every case is run against both, round by round and alternating
which goes first, so that each figure can be printed beside the floor's and as a ratio to it.

Load is closed-loop: N asyncio tasks each send invocations back to back through
``WorkerChannel.invoke`` until the round's deadline or its count limit. Each case is warmed up
first. Every response is checked (Success, HTTP 200, echoed body length); failures are counted
and printed. Worker CPU is the user+system time of the worker process (psutil) over the measured
window divided by the successful invocations. With two or more usable cores the benchmark process
and the worker run pinned to different cores (``--no-pin`` turns that off).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import google.protobuf  # noqa: E402
import grpc  # noqa: E402
import psutil  # noqa: E402

from quickfunc.host.function_json import discover_v1_functions  # noqa: E402
from quickfunc.host.process import WorkerCommand, WorkerProcess  # noqa: E402
from quickfunc.host.request_builders import build_invocation, http_request, indexed_load_metadata  # noqa: E402
from quickfunc.host.rpc_server import RpcServer  # noqa: E402
from quickfunc.host.startup import wait_connected  # noqa: E402
from quickfunc.host.worker_channel import WorkerChannel  # noqa: E402
from quickfunc.host.worker_stream import WorkerGone  # noqa: E402
from quickfunc.protos import pb  # noqa: E402

APPS_DIR = os.path.join(REPO_ROOT, "scripts", "bench_apps")
V1_APP = os.path.join(APPS_DIR, "v1")
V2_APP = os.path.join(APPS_DIR, "v2")
FLOOR_SCRIPT = os.path.join(REPO_ROOT, "scripts", "floor_worker.py")
TARGETS = ("worker", "floor")
MIB = 1 << 20
SUCCESS = pb.StatusResult.Success
INVOKE_TIMEOUT = 20.0  # one invocation; the slowest healthy one here takes about 1 s
CONNECT_TIMEOUT = 60.0  # the host's StartStream timeout
EXIT_TIMEOUT = 10.0
MAX_ERROR_TEXTS = 5  # distinct error messages kept per case and target
RSS_SAMPLE_INTERVAL = 0.002
RUN_BUDGET = 1800.0  # hard bound on the whole run, seconds
#: bytecode cache for the spawned processes (a deployed worker has its .pyc files)
PYCACHE = os.path.join(tempfile.gettempdir(), "quickfunc-bench-pycache")


# --------------------------------------------------------------------------------------------
# cases and options
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One closed-loop throughput case."""

    name: str
    title: str
    function: str
    concurrency: int
    payload: int
    max_count: int  # per round
    warmup_count: int


@dataclass(frozen=True)
class ColdCase:
    """One cold-start case: spawn → StartStream → init → metadata → all loaded."""

    name: str
    title: str
    app_dir: str


def throughput_cases() -> list[Case]:
    """Every throughput case, in run order."""
    cases = [
        Case(f"echo_{kind}_c{c}", f"http echo {kind}, 128 B, c={c}", fn, c, 128, 200_000, 50_000)
        for kind, fn in (("sync", "HttpEchoSync"), ("async", "HttpEchoAsync"))
        for c in (1, 16, 256)
    ]
    cases.append(Case("sleep_c1000", "async sleep 50 ms, c=1000", "SleepAsync", 1000, 128, 200_000, 50_000))
    cases.append(Case("bytes_1m", "byte echo 1 MiB, c=1", "BytesEcho", 1, MIB, 5_000, 200))
    cases.append(Case("bytes_16m", "byte echo 16 MiB, c=1", "BytesEcho", 1, 16 * MIB, 500, 3))
    return cases


def cold_cases() -> list[ColdCase]:
    """The cold-start cases."""
    return [
        ColdCase("cold_v1", "cold start v1 (function.json)", V1_APP),
        ColdCase("cold_v2", "cold start v2 (decorators)", V2_APP),
    ]


@dataclass
class Options:
    """What to run and how long."""

    rounds: int
    duration: float
    warmup: float
    cold_runs: int
    pin: bool
    json_path: str | None
    cases: list[Case]
    colds: list[ColdCase]


def select(spec: str | None, names: list[str]) -> list[str]:
    """Names chosen by a comma list of exact names or prefixes (``echo``, ``cold``, ``bytes``)."""
    if not spec:
        return list(names)
    chosen: list[str] = []
    for word in (w.strip() for w in spec.split(",")):
        hits = [word] if word in names else [n for n in names if word and n.startswith(word)]
        if not hits:
            raise SystemExit(f"unknown case {word!r}; cases: {', '.join(names)}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def parse_args(argv: list[str] | None = None) -> Options:
    """Command line → Options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="measured rounds per case (default 3)")
    p.add_argument(
        "--duration",
        type=float,
        default=2.0,
        help="seconds per round for throughput cases (default 2)",
    )
    p.add_argument("--cases", help="comma list of case names or prefixes (default: all)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 short round, 2 cold starts")
    p.add_argument("--no-pin", action="store_true", help="do not pin host and worker to cores")
    p.add_argument("--json", dest="json_path", help="write every number to this file")
    a = p.parse_args(argv)
    rounds, duration, cold_runs = (1, 0.3, 2) if a.quick else (a.rounds, a.duration, 5)
    if rounds < 1 or not 0.05 <= duration <= 600:
        p.error("--rounds must be >= 1 and --duration between 0.05 and 600")
    all_cases, all_colds = throughput_cases(), cold_cases()
    chosen = select(a.cases, [c.name for c in all_cases] + [c.name for c in all_colds])
    return Options(
        rounds=rounds,
        duration=duration,
        warmup=max(0.1, min(0.5, duration / 4)),
        cold_runs=cold_runs,
        pin=not a.no_pin,
        json_path=a.json_path,
        cases=[c for c in all_cases if c.name in chosen],
        colds=[c for c in all_colds if c.name in chosen],
    )


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
    env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT, *paths])
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


# --------------------------------------------------------------------------------------------
# closed-loop load
# --------------------------------------------------------------------------------------------


class Requests:
    """InvocationRequests for one function and body: a template copy with a fresh id each."""

    def __init__(self, function_id: str, function: str, payload: bytes) -> None:
        req = http_request(
            "POST",
            f"http://localhost/api/{function}",
            headers={"Content-Type": "application/octet-stream"},
            body=payload,
        )
        self.template = build_invocation(function_id, {"req": req})
        self.prefix = uuid.uuid4().hex[:12]
        self.counter = itertools.count()

    def next(self) -> pb.InvocationRequest:
        """A copy of the template with a fresh invocation id."""
        request = pb.InvocationRequest()
        request.CopyFrom(self.template)
        request.invocation_id = f"{self.prefix}-{next(self.counter)}"
        return request


def body_length(data: pb.TypedData) -> int:
    """Length of an HTTP body in bytes (-1: not bytes or string)."""
    kind = data.WhichOneof("data")
    if kind is None:
        return 0
    if kind in ("bytes", "stream"):
        return len(getattr(data, kind))
    if kind == "string":
        return len(data.string.encode())
    return -1


def check_response(resp: pb.InvocationResponse, expected_length: int) -> str | None:
    """None if the response is a Success HTTP 200 echoing ``expected_length`` bytes."""
    if resp.result.status != SUCCESS:
        status = pb.StatusResult.Status.Name(resp.result.status)
        return f"{status}: {resp.result.exception.message[:200]}"
    value = resp.return_value
    if value.WhichOneof("data") != "http":
        return f"return value is {value.WhichOneof('data')}, not http"
    if value.http.status_code != "200":
        return f"http status {value.http.status_code!r}, not '200'"
    length = body_length(value.http.body)
    if length != expected_length:
        return f"body of {length} bytes, expected {expected_length}"
    return None


_IDS = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b[0-9a-f]{12}-\d+\b"
)


@dataclass
class Round:
    """One measured (or warm-up) round against one target."""

    count: int = 0
    errors: int = 0
    elapsed: float = 0.0
    worker_cpu: float = 0.0
    host_cpu: float = 0.0
    #: CPU seconds of other processes on the machine; hypervisor steal; kernel irq/softirq
    other_cpu: float = 0.0
    steal: float = 0.0
    irq: float = 0.0
    logs: int = 0
    latencies: list[float] = field(default_factory=list)
    error_texts: dict[str, int] = field(default_factory=dict)

    def fail(self, text: str) -> None:
        """Count an error; keep its text (ids masked) if there is room."""
        self.errors += 1
        text = _IDS.sub("<id>", text)
        if text in self.error_texts or len(self.error_texts) < MAX_ERROR_TEXTS:
            self.error_texts[text] = self.error_texts.get(text, 0) + 1


def cpu_seconds(ps: psutil.Process) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    times = ps.cpu_times()
    return times.user + times.system


def machine_cpu() -> tuple[float, float, float]:
    """(process time, steal, irq+softirq) CPU seconds of the whole machine so far.

    Loopback networking runs largely in softirq, which is not charged to any process: it is
    kept apart rather than counted as other processes' load.
    """
    t = psutil.cpu_times()
    irq = getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    return t.user + t.nice + t.system, getattr(t, "steal", 0.0), irq


async def client(
    target: Target,
    requests: Requests,
    expected: int,
    rnd: Round,
    deadline: float,
    budget: list[int],
) -> None:
    """Invoke back to back until the deadline or the shared count budget runs out."""
    loop = asyncio.get_running_loop()
    invoke = target.channel.invoke
    while budget[0] > 0 and loop.time() < deadline:
        budget[0] -= 1
        start = time.perf_counter()
        try:
            resp = await invoke(requests.next(), timeout=INVOKE_TIMEOUT)
        except WorkerGone as exc:
            rnd.fail(f"worker gone: {exc}")
            return
        except Exception as exc:  # a timeout or a broken stream: counted, shown, not hidden
            rnd.fail(f"{type(exc).__name__}: {exc}")
            continue
        latency = time.perf_counter() - start
        problem = check_response(resp, expected)
        if problem is None:
            rnd.count += 1
            rnd.latencies.append(latency)
        else:
            rnd.fail(problem)


async def run_round(target: Target, case: Case, requests: Requests, duration: float, max_count: int) -> Round:
    """``case.concurrency`` clients for ``duration`` seconds (or ``max_count`` invocations)."""
    rnd = Round()
    loop = asyncio.get_running_loop()
    me = psutil.Process()
    budget = [max_count]
    logs_before = len(target.channel.logs)
    cpu0, host0, t0 = cpu_seconds(target.ps), cpu_seconds(me), time.perf_counter()
    machine0 = machine_cpu()
    deadline = loop.time() + duration
    tasks = [
        asyncio.create_task(client(target, requests, case.payload, rnd, deadline, budget))
        for _ in range(case.concurrency)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), duration + INVOKE_TIMEOUT + 10)
    except asyncio.TimeoutError:
        rnd.fail("round did not finish in time (clients cancelled)")
    rnd.elapsed = time.perf_counter() - t0
    rnd.worker_cpu = cpu_seconds(target.ps) - cpu0
    rnd.host_cpu = cpu_seconds(me) - host0
    busy, rnd.steal, rnd.irq = (b - a for a, b in zip(machine0, machine_cpu(), strict=True))
    rnd.other_cpu = max(0.0, busy - rnd.worker_cpu - rnd.host_cpu)
    rnd.logs = len(target.channel.logs) - logs_before
    target.channel.clear_logs()
    return rnd


# --------------------------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------------------------


def reset_peak_rss(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of a process; False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss(pid: int) -> int | None:
    """The kernel's peak RSS (VmHWM) in bytes, if readable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


class RssSampler:
    """Samples a process's RSS every few ms (bounded in time) and keeps the highest value."""

    def __init__(self, ps: psutil.Process, limit: float) -> None:
        self.ps = ps
        self.limit = limit
        self.peak = 0
        self.samples = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Begin sampling in a task."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.limit
        while not self._stop.is_set() and loop.time() < end:
            try:
                self.peak = max(self.peak, self.ps.memory_info().rss)
            except psutil.Error:
                return
            self.samples += 1
            await asyncio.sleep(RSS_SAMPLE_INTERVAL)

    async def stop(self) -> int:
        """Stop sampling; return the highest RSS seen."""
        self._stop.set()
        if self._task is not None:
            await self._task
        return self.peak


@dataclass
class MemoryWatch:
    """RSS around the 16 MiB case for one target."""

    before: int
    hwm_reset: bool
    sampler: RssSampler

    @classmethod
    def begin(cls, target: Target, limit: float) -> MemoryWatch:
        """Record the RSS before the case, reset the peak mark, start sampling."""
        watch = cls(target.ps.memory_info().rss, reset_peak_rss(target.ps.pid), RssSampler(target.ps, limit))
        watch.sampler.start()
        return watch

    async def end(self, target: Target, payload: int) -> dict[str, Any]:
        """Peak RSS during the case and its growth over the before-case RSS per payload."""
        sampled = await self.sampler.stop()
        hwm = peak_rss(target.ps.pid) if self.hwm_reset else None
        peak = max(sampled, hwm or 0)
        return {
            "rss_after_load": target.rss_after_load,
            "rss_before_case": self.before,
            "peak_sampled": sampled,
            "peak_vmhwm": hwm,
            "samples": self.sampler.samples,
            "peak": peak,
            "peak_above_before_per_payload": (peak - self.before) / payload,
        }


# --------------------------------------------------------------------------------------------
# running a throughput case
# --------------------------------------------------------------------------------------------


def summarize(rounds: list[Round], payload: int) -> dict[str, Any]:
    """Median rate with spread, pooled latency percentiles, CPU per invocation."""
    rates = [r.count / r.elapsed if r.elapsed > 0 else 0.0 for r in rounds] or [0.0]
    latencies = sorted(itertools.chain.from_iterable(r.latencies for r in rounds))
    count = sum(r.count for r in rounds)
    elapsed = sum(r.elapsed for r in rounds)
    median = statistics.median(rates)
    errors: dict[str, int] = {}
    for r in rounds:
        for text, n in r.error_texts.items():
            errors[text] = errors.get(text, 0) + n
    return {
        "rate": median,
        "rates": rates,
        "spread_pct": (max(rates) - min(rates)) / 2 / median * 100 if median else 0.0,
        "mib_s": median * payload / MIB,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "p999_ms": percentile(latencies, 99.9) * 1e3,
        "max_ms": latencies[-1] * 1e3 if latencies else None,
        "cpu_us": sum(r.worker_cpu for r in rounds) / count * 1e6 if count else None,
        "host_cpu_pct": sum(r.host_cpu for r in rounds) / elapsed * 100 if elapsed else 0.0,
        "other_cpu_pct": sum(r.other_cpu for r in rounds) / elapsed * 100 if elapsed else 0.0,
        "steal_pct": sum(r.steal for r in rounds) / elapsed * 100 if elapsed else 0.0,
        "irq_pct": sum(r.irq for r in rounds) / elapsed * 100 if elapsed else 0.0,
        "logs_per_inv": sum(r.logs for r in rounds) / count if count else 0.0,
        "invocations": count,
        "errors": sum(r.errors for r in rounds),
        "error_texts": errors,
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile (nan for no values)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


def round_order(index: int, targets: list[Target]) -> list[Target]:
    """Alternate which target goes first, so drift does not favour one."""
    return targets if index % 2 == 0 else targets[::-1]


async def run_case(targets: list[Target], case: Case, opts: Options) -> dict[str, Any]:
    """Warm up, then ``opts.rounds`` rounds per target; summaries (and RSS for 16 MiB)."""
    payload = bytes(range(256)) * (case.payload // 256) + b"x" * (case.payload % 256)
    requests = {t.label: Requests(t.functions[case.function], case.function, payload) for t in targets}
    warm = {t.label: await run_round(t, case, requests[t.label], opts.warmup, case.warmup_count) for t in targets}
    watch_memory = case.name == "bytes_16m"
    limit = opts.rounds * len(targets) * (opts.duration + INVOKE_TIMEOUT + 10)
    watches = {t.label: MemoryWatch.begin(t, limit) for t in targets} if watch_memory else {}
    # a target that got nothing right in its warm-up is not measured (its errors are reported)
    live = [t for t in targets if warm[t.label].count or not warm[t.label].errors]
    rounds: dict[str, list[Round]] = {t.label: [] for t in targets}
    for i in range(opts.rounds):
        for t in round_order(i, live):
            rounds[t.label].append(await run_round(t, case, requests[t.label], opts.duration, case.max_count))
    result: dict[str, Any] = {}
    for t in targets:
        result[t.label] = summarize(rounds[t.label], case.payload)
        result[t.label].update(await target_state(t, warm[t.label], result[t.label]["errors"]))
        if watch_memory:
            result[t.label]["memory"] = await watches[t.label].end(t, case.payload)
    return result


async def target_state(target: Target, warm: Round, errors: int) -> dict[str, Any]:
    """Warm-up errors, threads, and after any error: is the process alive, its loop answering?"""
    state: dict[str, Any] = {
        "warmup_errors": warm.errors,
        "warmup_error_texts": warm.error_texts,
        "threads_after": target.ps.num_threads() if target.ps.is_running() else None,
    }
    if warm.errors or errors or target.channel.unexpected:
        state["returncode"] = target.process.returncode
        state["late_or_unexpected_messages"] = len(target.channel.unexpected)
        state["output_tail"] = target.process.tail(10)
        try:
            state["status_rtt_ms"] = await target.channel.status(timeout=5.0) * 1e3
        except Exception as exc:  # no answer is the finding
            state["status_rtt_ms"] = f"no answer: {type(exc).__name__}"
        target.channel.unexpected.clear()
    return state


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------


Row = tuple[str, str, str, str, str]


def ratio(worker: float | None, floor: float | None) -> str:
    """worker / floor as ``1.23x`` (n/a when either is missing or the floor is 0)."""
    if worker is None or floor is None or floor == 0 or worker != worker or floor != floor:
        return "n/a"
    return f"{worker / floor:.2f}x"


def num(value: float | None, digits: int = 1) -> str:
    """A number with thousands separators (n/a for None or nan)."""
    if value is None or value != value:
        return "n/a"
    return f"{value:,.{digits}f}"


def metric_rows(
    title: str,
    metric: str,
    w: float | None,
    f: float | None,
    digits: int,
    extra: Callable[[str], str] = lambda label: "",
) -> Row:
    """One table row: both values (with optional suffixes) and their ratio."""
    return (
        title,
        metric,
        num(w, digits) + extra("worker"),
        num(f, digits) + extra("floor"),
        ratio(w, f),
    )


def throughput_rows(case: Case, res: dict[str, Any]) -> list[Row]:
    """inv/s (± spread), MiB/s, p50, p99, CPU per invocation, host CPU, errors."""
    w, f = res["worker"], res["floor"]
    spread = lambda label: f" ±{res[label]['spread_pct']:.0f}%"  # noqa: E731
    rows = [metric_rows(case.title, "inv/s (median ±half-range)", w["rate"], f["rate"], 0, spread)]
    if case.payload >= MIB:
        rows.append(metric_rows("", "MiB/s echoed", w["mib_s"], f["mib_s"], 1))
    rows.append(metric_rows("", "p50 latency ms", w["p50_ms"], f["p50_ms"], 2))
    rows.append(metric_rows("", "p99 latency ms", w["p99_ms"], f["p99_ms"], 2))
    rows.append(metric_rows("", "worker CPU us/inv", w["cpu_us"], f["cpu_us"], 0))
    host = metric_rows("", "bench process CPU %", w["host_cpu_pct"], f["host_cpu_pct"], 0)
    rows.append(host[:4] + ("",))  # context for the floor, not a cost of the worker
    errors = (w["errors"] + w["warmup_errors"], f["errors"] + f["warmup_errors"])
    if any(errors):
        rows.append(("", "ERRORS", str(errors[0]), str(errors[1]), ""))
    return rows


def memory_rows(res: dict[str, Any]) -> list[Row]:
    """RSS after load, before the 16 MiB case, its peak, and the peak's growth per payload."""
    w, f = res["worker"]["memory"], res["floor"]["memory"]
    m = lambda d, k: d[k] / MIB  # noqa: E731
    return [
        metric_rows("memory (RSS)", "after load MiB", m(w, "rss_after_load"), m(f, "rss_after_load"), 1),
        metric_rows("", "before 16 MiB case MiB", m(w, "rss_before_case"), m(f, "rss_before_case"), 1),
        metric_rows("", "peak in 16 MiB case MiB", m(w, "peak"), m(f, "peak"), 1),
        metric_rows(
            "",
            "peak - before, x payload",
            w["peak_above_before_per_payload"],
            f["peak_above_before_per_payload"],
            2,
        ),
    ]


def rest_rows(targets: dict[str, int]) -> list[Row]:
    """RSS after load alone (when the 16 MiB case was not run)."""
    w, f = targets.get("worker"), targets.get("floor")
    return [metric_rows("memory (RSS)", "after load MiB", w / MIB if w else None, f / MIB if f else None, 1)]


def cold_rows(case: ColdCase, res: dict[str, Any], runs: int) -> list[Row]:
    """Total cold start, the part until StartStream, and the protocol part after it."""
    w, f = res["worker"], res["floor"]
    title = f"{case.title}"
    return [
        metric_rows(title, f"spawn -> all loaded ms (median of {runs})", w["loaded_ms"], f["loaded_ms"], 0),
        metric_rows("", "spawn -> StartStream ms", w["start_stream_ms"], f["start_stream_ms"], 0),
        metric_rows(
            "",
            "StartStream -> all loaded ms",
            w["loaded_ms"] - w["start_stream_ms"],
            f["loaded_ms"] - f["start_stream_ms"],
            0,
        ),
    ]


def format_table(rows: list[Row]) -> str:
    """Aligned text table with a rule between cases."""
    header: Row = ("case", "metric", "worker", "floor", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]

    def line(r: Row) -> str:
        left = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        right = [r[i].rjust(widths[i]) for i in (2, 3, 4)]
        return " | ".join(left + right).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    out = [line(header), rule]
    for r in rows:
        if r[0] and len(out) > 2:
            out.append(rule)
        out.append(line(r))
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def versions(pinning: Pinning) -> dict[str, Any]:
    """Versions, cores, pinning and spawn settings for the report."""
    try:
        import azure.functions as func

        af = func.__version__
    except Exception:  # not installed: the worker would fail to load the app anyway
        af = "missing"
    return {
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "protobuf": google.protobuf.__version__,
        "azure_functions": af,
        "revision": worker_revision(),
        "cores": os.cpu_count(),
        "usable_cores": pinning.usable,
        "pinning": pinning.describe(),
        "machine": platform.machine(),
        "threadpool": worker_env()["PYTHON_THREADPOOL_THREAD_COUNT"],
        "pycache": worker_env()["PYTHONPYCACHEPREFIX"],
    }


def worker_revision() -> str:
    """The checkout's commit, with ``+dirty`` if worker/ has uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", REPO_ROOT, *args], capture_output=True, text=True, timeout=10, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        head = git("rev-parse", "--short", "HEAD") or "unknown"
        return head + ("+dirty" if git("status", "--porcelain", "--", "worker/quickfunc") else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def version_line(v: dict[str, Any]) -> str:
    """The one-line summary of versions, cores and pinning."""
    return (
        f"worker {v['revision']} | Python {v['python']} | grpcio {v['grpcio']} | "
        f"protobuf {v['protobuf']} | "
        f"azure-functions {v['azure_functions']} | {v['cores']} cores "
        f"({v['usable_cores']} usable) | pinning: {v['pinning']} | "
        f"PYTHON_THREADPOOL_THREAD_COUNT={v['threadpool']} | .pyc cache {v['pycache']}"
    )


HEADER = (
    "ratio = worker / floor. For inv/s and MiB/s higher is better (below 1x = slower than the\n"
    "floor); for latency, CPU, RSS and cold start lower is better (above 1x = that many times\n"
    "the floor's cost). The floor answers at once without running Python functions: it is the\n"
    "cost of the host side, gRPC and the process itself."
)


def notes(opts: Options, results: dict[str, Any]) -> list[str]:
    """Reading aids that the ratios alone would hide."""
    out = []
    if "sleep_c1000" in results:
        out.append(
            "sleep_c1000: the floor does not sleep; the worker's ideal is 20,000 inv/s "
            "and a 50 ms p50, so compare with that, not with the floor."
        )
    bound = [
        n
        for n, r in results.items()
        if isinstance(r, dict) and isinstance(r.get("floor"), dict) and r["floor"].get("host_cpu_pct", 0) >= 90
    ]
    if bound:
        out.append(
            "bench process >= 90% CPU while driving the floor in: "
            + ", ".join(bound)
            + " -- there the floor is limited by the host side, not by the floor."
        )
    noisy = [
        f"{n} {max(r[k]['other_cpu_pct'] + r[k]['steal_pct'] for k in TARGETS):.0f}%"
        for n, r in results.items()
        if isinstance(r, dict)
        and isinstance(r.get("floor"), dict)
        and "other_cpu_pct" in r["floor"]
        and max(r[k]["other_cpu_pct"] + r[k]["steal_pct"] for k in TARGETS) >= 10
    ]
    if noisy:
        out.append(
            "other load on the machine (other processes + steal, % of one core, worst "
            "of the two targets) during: " + ", ".join(noisy) + " -- those figures are noisier."
        )
    if any(c.name == "cold_v2" for c in opts.colds):
        out.append("cold_v2: the floor cannot index decorators; it loads the same four functions from the v1 folders.")
    return out


def case_errors(results: dict[str, Any]) -> Iterable[tuple[str, str, int, dict[str, int]]]:
    """(case, target, error count, {text: count}) for every throughput case with errors."""
    for name, res in results.items():
        for label in TARGETS:
            r = res.get(label) if isinstance(res, dict) else None
            if not isinstance(r, dict):
                continue
            total = r.get("errors", 0) + r.get("warmup_errors", 0)
            if total:
                yield (
                    name,
                    label,
                    total,
                    {**r.get("warmup_error_texts", {}), **r.get("error_texts", {})},
                )


def after_error_lines(state: dict[str, Any]) -> list[str]:
    """What the process looked like after the errors (exit code, status round trip, output)."""
    if "status_rtt_ms" not in state:
        return []
    rtt = state["status_rtt_ms"]
    rtt_text = f"answered in {rtt:.1f} ms" if isinstance(rtt, float) else rtt
    lines = [
        f"    afterwards: exit code {state['returncode']}, status request {rtt_text}, "
        f"{state['late_or_unexpected_messages']} late message(s); output tail:"
    ]
    return lines + [f"      {line}" for line in state["output_tail"].splitlines()]


def error_report(results: dict[str, Any]) -> list[str]:
    """Every error by case and target, or a line saying there were none."""
    lines = []
    for name, label, total, texts in case_errors(results):
        state = results[name][label]
        lines.append(f"  {name} / {label}: {total} error(s) (warm-up included)")
        lines += [f"    {n} x {t}" for t, n in texts.items()]
        lines += after_error_lines(state)
    return lines or ["  none: every response was Success, HTTP 200, with the echoed body length"]


async def run_colds(
    server: RpcServer, opts: Options, pinning: Pinning, results: dict[str, Any], rows: list[Row]
) -> None:
    """The cold-start cases (nothing else running yet)."""
    for case in opts.colds:
        print(f"... {case.name}", file=sys.stderr, flush=True)
        results[case.name] = await run_cold_case(server, case, opts.cold_runs, pinning)
        rows += cold_rows(case, results[case.name], opts.cold_runs)


async def run_throughput(
    server: RpcServer, opts: Options, pinning: Pinning, results: dict[str, Any], rows: list[Row]
) -> None:
    """Start worker and floor once, run every throughput case, stop them."""
    targets: list[Target] = []
    try:
        for label in TARGETS:
            targets.append(await start_target(server, label, pinning))
        pinning.pin_host()
        results["rss_after_load"] = {t.label: t.rss_after_load for t in targets}
        for case in opts.cases:
            print(f"... {case.name}", file=sys.stderr, flush=True)
            results[case.name] = await run_case(targets, case, opts)
            rows += throughput_rows(case, results[case.name])
        if "bytes_16m" in results:
            rows += memory_rows(results["bytes_16m"])
        else:
            rows += rest_rows(results["rss_after_load"])
    finally:
        for t in targets:
            await stop_process(t.process, t.channel)


async def amain(opts: Options, pinning: Pinning) -> dict[str, Any]:
    """Cold starts first (nothing else running), then the throughput cases."""
    server = RpcServer(keep_logs=True)  # the rounds count logs
    await server.start("127.0.0.1", 0)
    pinning.pin_host()
    results: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        await run_colds(server, opts, pinning, results, rows)
        if opts.cases:
            await run_throughput(server, opts, pinning, results, rows)
    finally:
        await server.stop(0)
    return {"results": results, "rows": rows}


def to_json(path: str, meta: dict[str, Any], results: dict[str, Any]) -> None:
    """Write meta and every result to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2, sort_keys=True, default=str)
        f.write("\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table; exit code 1 if any invocation failed."""
    opts = parse_args(argv)
    pinning = plan_pinning(opts.pin)
    pinning.pin_host()
    info = versions(pinning)  # before the run: the worker code it starts
    started = time.perf_counter()
    out = asyncio.run(asyncio.wait_for(amain(opts, pinning), RUN_BUDGET))
    took = time.perf_counter() - started
    meta = {
        **info,
        "rounds": opts.rounds,
        "duration_s": opts.duration,
        "warmup_s": opts.warmup,
        "cold_runs": opts.cold_runs,
        "run_seconds": took,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }
    print(version_line(meta))
    print(
        f"rounds {opts.rounds} x {opts.duration:g} s per case (after a {opts.warmup:g} s "
        f"warm-up), cold start median of {opts.cold_runs}; run took {took:.0f} s"
    )
    print(HEADER)
    print()
    print(format_table(out["rows"]))
    print()
    for note in notes(opts, out["results"]):
        print(f"note: {note}")
    print("errors:")
    print("\n".join(error_report(out["results"])))
    if opts.json_path:
        to_json(opts.json_path, meta, out["results"])
        print(f"numbers written to {opts.json_path}")
    return 1 if any(True for _ in case_errors(out["results"])) else 0


if __name__ == "__main__":
    sys.exit(main())
