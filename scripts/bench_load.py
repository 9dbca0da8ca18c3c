"""The benchmark's closed-loop driver (scripts/bench.py): requests, response checks, one measured
round with its CPU figures, and the RSS watch around the 16 MiB case."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psutil
from bench_config import INVOKE_TIMEOUT, MAX_ERROR_TEXTS, RSS_SAMPLE_INTERVAL, SUCCESS, Case
from bench_procs import Target

from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import pb

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
