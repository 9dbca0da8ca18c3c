"""Soak test: many invocations of a mixed app; nothing may be lost or duplicated (issue 6).

Usage::

    python scripts/soak.py [--invocations N] [--concurrency C] [--max-seconds S]
                           [--seed N] [--json PATH] [--worker-script PATH]

One worker process is started through ``quickfunc.host`` (loopback gRPC, as a test host does) with
the app ``tests/apps/soak`` and driven closed-loop: C asyncio tasks send invocations back to back
until N have been answered or the time limit is reached. The mix: fast sync and async echoes,
sync and async functions that raise, sync and async functions that log numbered lines (the async
one partly from a task it starts), sync and async functions that sleep past an InvocationCancel
the host sends right behind
the request or up to 20 ms after it, and an async function that blocks the loop for 5 ms.

Checked:

- every request gets exactly one response, with its invocation id and the expected outcome
  (echo text, ``ValueError`` failure, ``Cancelled``); duplicates and late answers are counted;
- every expected log line arrives exactly once, carrying its invocation id, before the response;
  no soak log line arrives without an invocation id or for another invocation;
- the worker's RSS grows less than ``--max-rss-growth`` between the ``--warmup``-th answered
  invocation (default: the 10 % mark) and the last one;
- the worker's thread count stays under ``--max-threads`` (default: concurrency + 48);
- the worker exits with code 0 when the host closes the stream.

The exit code is 0 when every check passed, 1 otherwise, 2 for a bad command line.

``python scripts/soak.py --hostile [options]`` runs the hostile soak instead: the local host over
HTTP with two workers, worker kills and slow clients (scripts/soak_hostile.py, its own options).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import psutil  # noqa: E402
from soak_common import MAX_PROBLEMS_KEPT, Findings, repo_env  # noqa: E402
from soak_logs import LogTracker  # noqa: E402

from quickfunc.host.function_json import discover_v1_functions  # noqa: E402
from quickfunc.host.process import WorkerCommand, WorkerProcess  # noqa: E402
from quickfunc.host.request_builders import build_invocation, http_request  # noqa: E402
from quickfunc.host.rpc_server import RpcServer  # noqa: E402
from quickfunc.host.startup import wait_connected  # noqa: E402
from quickfunc.host.worker_channel import WorkerChannel  # noqa: E402
from quickfunc.host.worker_stream import WorkerGone  # noqa: E402
from quickfunc.protos import pb  # noqa: E402

SOAK_APP = os.path.join(REPO_ROOT, "tests", "apps", "soak")
SUCCESS = pb.StatusResult.Success
FAILURE = pb.StatusResult.Failure
CANCELLED = pb.StatusResult.Cancelled
INVOKE_TIMEOUT = 30.0  # longest wait for one answer; a cancelled one comes within ms
CONNECT_TIMEOUT = 60.0
EXIT_TIMEOUT = 10.0
SAMPLE_INTERVAL = 0.25  # seconds between thread-count samples
SETTLE_SECONDS = 1.5  # after the last answer: room for late duplicates (sync sleeps are 1 s)

#: function -> weight (per mille) in the mix
MIX: dict[str, int] = {
    "SyncEcho": 250,
    "AsyncEcho": 300,
    "SyncRaise": 50,
    "AsyncRaise": 50,
    "LogSync": 120,
    "LogAsync": 120,
    "CancelAsync": 85,
    "CancelSync": 5,
    "BlockingAsync": 10,
}
CANCELLED_KINDS = frozenset({"CancelAsync", "CancelSync"})
LOGGING_KINDS = frozenset({"LogSync", "LogAsync"})


@dataclass
class Report(Findings):
    """What one soak run found; `ok` is the verdict."""

    invocations_planned: int
    concurrency: int
    answered: int = 0
    by_function: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # no answer (timeout or the worker went away)
    wrong_outcome: int = 0
    duplicate_or_late_answers: int = 0
    logs_expected: int = 0
    logs_received: int = 0
    log_problems: int = 0  # missing, duplicated, unattributed or misattributed lines
    worker_internal_errors: int = 0  # System error logs saying "internal error"
    duration_s: float = 0.0
    invocations_per_s: float = 0.0
    rss_at_warmup_mib: float = 0.0
    rss_at_end_mib: float = 0.0
    rss_growth_pct: float = 0.0
    max_rss_growth_pct: float = 10.0
    warmup_invocations: int = 0
    threads_at_warmup: int = 0
    max_threads: int = 0
    max_threads_allowed: int = 0
    exit_code: int | None = None
    deadline_hit: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.answered == self.invocations_planned
            and not self.lost
            and not self.wrong_outcome
            and not self.duplicate_or_late_answers
            and not self.log_problems
            and not self.worker_internal_errors
            and self.logs_received == self.logs_expected
            and self.rss_growth_pct < self.max_rss_growth_pct
            and self.max_threads <= self.max_threads_allowed
            and self.exit_code == 0
            and not self.deadline_hit
        )


@dataclass
class Planned:
    function: str
    token: str
    request: pb.InvocationRequest
    log_lines: int = 0


class Soak:
    """Drives one worker through the mix and fills a Report."""

    def __init__(
        self,
        channel: WorkerChannel,
        functions: dict[str, str],
        ps: psutil.Process,
        report: Report,
        seed: int,
        deadline: float,
    ) -> None:
        self.channel = channel
        self.functions = functions
        self.ps = ps
        self.report = report
        self.random = random.Random(seed)
        self.deadline = deadline
        self.tracker = LogTracker(report)
        self.started = 0
        self._names = list(MIX)
        self._weights = [MIX[n] for n in self._names]
        channel.on_log = self.tracker.on_log

    def plan(self) -> Planned:
        name = self.random.choices(self._names, self._weights)[0]
        token = uuid.uuid4().hex[:12]
        query = {"t": token}
        lines = 0
        if name in LOGGING_KINDS:
            lines = self.random.randint(1, 20)
            query["n"] = str(lines)
        elif name == "AsyncEcho" and self.random.random() < 0.5:
            query["y"] = "1"
        elif name == "BlockingAsync":
            query["ms"] = "5"
        elif name == "CancelSync":
            query["s"] = "1"
        url = f"http://127.0.0.1/api/{name.lower()}"
        request = build_invocation(self.functions[name], {"req": http_request("GET", url, query=query)})
        return Planned(name, token, request, lines)

    async def client(self) -> None:
        report = self.report
        while self.started < report.invocations_planned:
            if time.monotonic() > self.deadline:
                report.deadline_hit = True
                return
            self.started += 1
            planned = self.plan()
            await self.one(planned)
            report.answered += 1
            report.by_function[planned.function] = report.by_function.get(planned.function, 0) + 1
            if report.answered == report.warmup_invocations:
                report.rss_at_warmup_mib = self.ps.memory_info().rss / (1 << 20)
                report.threads_at_warmup = self.ps.num_threads()
            if report.answered % 1000 == 0:
                self.channel.clear_logs()  # our tracker keeps what it needs

    async def one(self, planned: Planned) -> None:
        request = planned.request
        iid = request.invocation_id
        canceller = None
        if planned.function in CANCELLED_KINDS:
            # a third right behind the request (often read by the worker in the same batch)
            delay = 0.0 if self.random.random() < 0.3 else self.random.uniform(0, 0.02)
            canceller = asyncio.ensure_future(self._cancel_later(iid, delay))
        try:
            response = await self.channel.invoke(request, timeout=INVOKE_TIMEOUT)
        except (asyncio.TimeoutError, WorkerGone) as exc:
            self.report.lost += 1
            self.report.note("lost", f"{planned.function} {iid}: {exc}")
            return
        finally:
            if canceller is not None:
                await canceller
        if response.invocation_id != iid:
            self.report.wrong_outcome += 1
            self.report.note("wrong_id", f"sent {iid}, answered {response.invocation_id}")
        problem = expected_outcome(planned, response)
        if problem:
            self.report.wrong_outcome += 1
            self.report.note("wrong_outcome", f"{planned.function} {iid}: {problem}")
        if planned.log_lines:
            self.report.logs_expected += planned.log_lines
            self.tracker.check(iid, planned.token, planned.log_lines)

    async def _cancel_later(self, invocation_id: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await self.channel.cancel(invocation_id)
        except WorkerGone:
            pass  # reported by the invocation itself

    async def sample_threads(self) -> None:
        while True:
            try:
                self.report.max_threads = max(self.report.max_threads, self.ps.num_threads())
            except psutil.Error:
                return
            await asyncio.sleep(SAMPLE_INTERVAL)


def expected_outcome(planned: Planned, response: pb.InvocationResponse) -> str | None:
    """None when the response is what this function must answer, else what is wrong."""
    status = response.result.status
    name, token = planned.function, planned.token
    if name in CANCELLED_KINDS:
        return None if status == CANCELLED else f"status {status}, expected Cancelled"
    if name in ("SyncRaise", "AsyncRaise"):
        exc = response.result.exception
        want = f"ValueError: soak failure {token}"
        if status != FAILURE or exc.message != want:
            return f"status {status} message {exc.message!r}, expected Failure {want!r}"
        return None
    if status != SUCCESS:
        return f"status {status}: {response.result.exception.message[:300]}"
    text = response.return_value.string
    want = {
        "SyncEcho": f"echo {token}",
        "AsyncEcho": f"echo {token}",
        "BlockingAsync": f"blocked {token}",
    }.get(name, f"logged {planned.log_lines}")
    return None if text == want else f"answered {text!r}, expected {want!r}"


# ---------------------------------------------------------------------------- process plumbing


def worker_env() -> dict[str, str]:
    """This environment, this checkout first on PYTHONPATH, the host's thread-pool default."""
    env = repo_env()
    env.setdefault("PYTHON_THREADPOOL_THREAD_COUNT", "1000")
    return env


async def connect(server: RpcServer, process: WorkerProcess) -> WorkerChannel:
    """The worker's channel once it sent StartStream, or an error naming what it printed."""
    return await wait_connected(server, process, CONNECT_TIMEOUT)


async def load(channel: WorkerChannel, process: WorkerProcess, app_dir: str) -> dict[str, str]:
    """init + one load per function folder; {name: function id}."""
    init = await channel.init(app_dir, process.command.worker_directory(), timeout=30.0)
    if init.result.status != SUCCESS:
        raise RuntimeError(f"worker init failed: {init.result.exception.message}")
    found = discover_v1_functions(app_dir)
    responses = await asyncio.gather(*(channel.load(fid, md, timeout=60.0) for fid, md in found))
    for (_, md), resp in zip(found, responses, strict=True):
        if resp.result.status != SUCCESS:
            raise RuntimeError(f"loading {md.name} failed: {resp.result.exception.message}")
    return {md.name: fid for fid, md in found}


async def run_soak(
    invocations: int,
    concurrency: int,
    max_seconds: float,
    seed: int,
    warmup: int | None = None,
    max_rss_growth: float = 10.0,
    max_threads: int | None = None,
    worker_script: str | None = None,
    app_dir: str = SOAK_APP,
) -> Report:
    """Start a worker, soak it, stop it; the Report says what was found."""
    report = Report(invocations, concurrency, max_rss_growth_pct=max_rss_growth)
    report.warmup_invocations = warmup if warmup is not None else max(1, invocations // 10)
    report.max_threads_allowed = max_threads if max_threads is not None else concurrency + 48
    command = (
        WorkerCommand(module=None, script=os.path.abspath(worker_script))
        if worker_script
        else WorkerCommand(module="quickfunc")
    )
    server = RpcServer()
    await server.start("127.0.0.1", 0)
    process = WorkerProcess(command)
    channel: WorkerChannel | None = None
    server.expect(process.worker_id)
    try:
        await process.start("127.0.0.1", server.port, app_dir, worker_env(), inherit_env=False)
        channel = await connect(server, process)
        functions = await load(channel, process, app_dir)
        ps = psutil.Process(process.pid)
        soak = Soak(channel, functions, ps, report, seed, time.monotonic() + max_seconds)
        sampler = asyncio.ensure_future(soak.sample_threads())
        start = time.perf_counter()
        await asyncio.gather(*(soak.client() for _ in range(concurrency)))
        report.duration_s = time.perf_counter() - start
        report.rss_at_end_mib = ps.memory_info().rss / (1 << 20)
        await asyncio.sleep(SETTLE_SECONDS)  # a second answer would arrive by now
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        soak.tracker.strays()
        extra = [m for m in channel.unexpected if m.HasField("invocation_response")]
        report.duplicate_or_late_answers = len(extra)
        for message in extra[:MAX_PROBLEMS_KEPT]:
            report.note("duplicate_or_late", message.invocation_response.invocation_id)
        report.invocations_per_s = report.answered / report.duration_s if report.duration_s else 0.0
        if report.rss_at_warmup_mib:
            report.rss_growth_pct = 100.0 * (report.rss_at_end_mib / report.rss_at_warmup_mib - 1)
        else:
            report.rss_growth_pct = float("inf")
        await channel.close(timeout=5.0)
        report.exit_code = await process.wait(EXIT_TIMEOUT)
    finally:
        if process.pid is not None and process.returncode is None:
            await process.kill()
            await process.wait(EXIT_TIMEOUT)
        await server.stop(0)
    if report.exit_code != 0:
        report.note("exit", f"exit code {report.exit_code}:\n{process.tail()}")
    return report


def print_report(report: Report) -> None:
    mix = ", ".join(f"{k} {v}" for k, v in sorted(report.by_function.items()))
    print(
        f"soak: {report.answered}/{report.invocations_planned} answered at concurrency "
        f"{report.concurrency} in {report.duration_s:.1f} s "
        f"({report.invocations_per_s:.0f} inv/s)"
    )
    print(f"  mix: {mix}")
    print(
        f"  lost {report.lost}, wrong outcome {report.wrong_outcome}, duplicate/late answers "
        f"{report.duplicate_or_late_answers}"
    )
    print(
        f"  logs: {report.logs_received}/{report.logs_expected} received, problems "
        f"{report.log_problems}; worker internal errors {report.worker_internal_errors}"
    )
    print(
        f"  RSS {report.rss_at_warmup_mib:.1f} MiB at invocation {report.warmup_invocations}, "
        f"{report.rss_at_end_mib:.1f} MiB at the end: {report.rss_growth_pct:+.2f} % "
        f"(limit {report.max_rss_growth_pct:g} %)"
    )
    print(
        f"  threads: {report.threads_at_warmup} at warm-up, max {report.max_threads} "
        f"(limit {report.max_threads_allowed}); worker exit code {report.exit_code}"
    )
    if report.deadline_hit:
        print("  the time limit was reached before every invocation was sent")
    report.print_problems("soak")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--invocations", type=int, default=100_000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument(
        "--max-seconds",
        type=float,
        default=900.0,
        help="stop sending after this long (the run then fails)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="answered invocations before the first RSS sample (default: 10 %%)",
    )
    p.add_argument("--max-rss-growth", type=float, default=10.0, help="percent")
    p.add_argument("--max-threads", type=int, default=None)
    p.add_argument(
        "--worker-script",
        default=None,
        help="run this script instead of `python -m quickfunc` (to check the checks)",
    )
    p.add_argument("--json", default=None, help="also write the report here")
    ns = p.parse_args(argv)
    if ns.invocations < 1 or ns.concurrency < 1 or ns.max_seconds <= 0:
        p.error("--invocations, --concurrency and --max-seconds must be positive")
    return ns


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--hostile" in args:
        from soak_hostile import main as hostile_main

        return hostile_main([a for a in args if a != "--hostile"])
    ns = parse_args(args)
    # bounded however the run goes: the time limit plus start-up, draining and shutdown
    overall = ns.max_seconds + INVOKE_TIMEOUT + CONNECT_TIMEOUT + 3 * EXIT_TIMEOUT
    try:
        report = asyncio.run(
            asyncio.wait_for(
                run_soak(
                    ns.invocations,
                    ns.concurrency,
                    ns.max_seconds,
                    ns.seed,
                    ns.warmup,
                    ns.max_rss_growth,
                    ns.max_threads,
                    ns.worker_script,
                ),
                overall,
            )
        )
    except (RuntimeError, asyncio.TimeoutError, OSError) as exc:
        print(f"soak: could not run: {exc}", file=sys.stderr)
        return 1
    print_report(report)
    if ns.json:
        report.write_json(ns.json)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
