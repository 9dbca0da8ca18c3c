"""The soak's driver (scripts/soak.py): the mix of invocations, the closed-loop clients with their
cancels and thread samples, the check of each answer, and the report record."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import psutil
from soak_common import Findings
from soak_logs import LogTracker

from quickfunc.host.request_builders import build_invocation, http_request
from quickfunc.host.worker_channel import WorkerChannel
from quickfunc.host.worker_stream import WorkerGone
from quickfunc.protos import pb

SUCCESS = pb.StatusResult.Success
FAILURE = pb.StatusResult.Failure
CANCELLED = pb.StatusResult.Cancelled
INVOKE_TIMEOUT = 30.0  # longest wait for one answer; a cancelled one comes within ms
SAMPLE_INTERVAL = 0.25  # seconds between thread-count samples

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
