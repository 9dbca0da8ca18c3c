"""The hostile soak's load (scripts/soak_hostile.py): the request mix and what each kind must
answer, the HTTP clients, the slow clients and the worker killer."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import psutil

#: kinds drawn at random (weights per mille); "spin" and "burst" come on a fixed schedule
RANDOM_MIX: dict[str, int] = {
    "echo_sync": 430,
    "echo_async": 430,
    "surrogate": 50,
    "bad_str": 45,
    "cyclic": 45,
}
KINDS = (*RANDOM_MIX, "spin", "burst")
EXPECTED, WORKER_LOST, WRONG, LOST = "expected", "worker_lost", "wrong", "lost"
TIMEOUT_WORDS = "functionTimeout"
WORKER_DIED = "while running this invocation"  # the host's 500 for an invocation whose worker died
_PID_IN_TEXT = re.compile(r"\(pid (\d+)\)")
_BODY_KEPT = 300  # characters of a response body kept in a problem note


@dataclass
class LoadOptions:
    """How much load, how fast, and the schedule of the hostile kinds."""

    requests: int
    concurrency: int
    request_timeout: float
    seed: int
    spin_every: int  # every n-th request spins (0: never)
    burst_every: int  # every n-th request logs a burst (0: never)
    burst_lines: int
    #: kinds drawn at random and their weights (RANDOM_MIX, or part of it)
    mix: dict[str, int] = field(default_factory=lambda: dict(RANDOM_MIX))


@dataclass
class Planned:
    index: int
    rid: str
    kind: str
    body: bytes


def plan(index: int, rng: random.Random, options: LoadOptions) -> Planned:
    """The index-th request of the run: its unique id, its kind, its JSON body."""
    rid = f"r{index}-{uuid.uuid4().hex[:8]}"
    if options.spin_every and index % options.spin_every == options.spin_every // 2:
        kind = "spin"
    elif options.burst_every and index % options.burst_every == options.burst_every // 3:
        kind = "burst"
    else:
        kind = rng.choices(list(options.mix), list(options.mix.values()))[0]
    data: dict[str, object] = {"id": rid}
    if kind == "surrogate":
        data["name"] = "\ud800"  # json.dumps writes it as the escape \ud800
    elif kind == "burst":
        data["lines"] = options.burst_lines
    return Planned(index, rid, kind, json.dumps(data).encode("ascii"))


def judge(planned: Planned, status: int, body: str, burst_lines: int, killed_pids: set[int]) -> tuple[str, str]:
    """(verdict, what is wrong): EXPECTED, WORKER_LOST (a 500 because the soak killed the worker
    or the host recycled it for a timeout: any kind may get it) or WRONG."""
    rid, kind = planned.rid, planned.kind
    if status == 500 and WORKER_DIED in body:
        pid = _PID_IN_TEXT.search(body)
        if (pid is not None and int(pid.group(1)) in killed_pids) or TIMEOUT_WORDS in body:
            return WORKER_LOST, ""
        return WRONG, f"its worker died unexpectedly: {body[:_BODY_KEPT]!r}"
    if kind == "spin":
        ok = status == 500 and TIMEOUT_WORDS in body
        want = "500 naming functionTimeout"
    elif status == 500 and TIMEOUT_WORDS in body:
        return WRONG, f"timed out (functionTimeout) instead of answering: {body[:_BODY_KEPT]!r}"
    elif kind in ("echo_sync", "echo_async"):
        ok, want = status == 200 and body == rid, f"200 {rid!r}"
    elif kind == "burst":
        text = f"logged {burst_lines} {rid}"
        ok, want = status == 200 and body == text, f"200 {text!r}"
    elif kind == "surrogate":
        ok = status == 500 and "ValueError: unknown user" in body and f"(request {rid})" in body
        want = "500 naming ValueError: unknown user ... and the request"
    elif kind == "bad_str":
        ok, want = status == 500 and "UnprintableError" in body, "500 naming UnprintableError"
    else:  # cyclic
        ok = status == 500 and f"ValueError: cyclic cause (request {rid})" in body
        want = "500 naming ValueError: cyclic cause and the request"
    if ok:
        return EXPECTED, ""
    return WRONG, f"answered {status} {body[:_BODY_KEPT]!r}, expected {want}"


@dataclass
class KindTally:
    """Counts for one kind of request."""

    sent: int = 0
    answered: int = 0
    expected: int = 0
    worker_lost: int = 0
    wrong: int = 0
    lost: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class Result:
    kind: str
    status: int | None  # None: no response (lost)
    verdict: str


Noter = Callable[[str, str], None]


class Load:
    """Closed-loop HTTP clients: each sends its next request when its last one is answered."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        options: LoadOptions,
        deadline: float,
        killed_pids: set[int],
        note: Noter,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.options = options
        self.deadline = deadline
        self.killed_pids = killed_pids
        self.note = note
        self.rng = random.Random(options.seed)
        self.results: dict[str, Result] = {}
        self.tallies = {kind: KindTally() for kind in KINDS}
        self.sent = 0
        self.answered = 0
        #: 500s naming functionTimeout for the invocation itself (the host may recycle a worker)
        self.own_timeouts = 0
        self.deadline_hit = False

    async def run(self) -> None:
        await asyncio.gather(*(self._client() for _ in range(self.options.concurrency)))

    async def _client(self) -> None:
        while self.sent < self.options.requests:
            if time.monotonic() > self.deadline:
                self.deadline_hit = True
                return
            planned = plan(self.sent, self.rng, self.options)
            self.sent += 1
            await self._one(planned)

    async def _one(self, planned: Planned) -> None:
        tally = self.tallies[planned.kind]
        tally.sent += 1
        try:
            # POST: aiohttp's client retries idempotent requests on a dropped keep-alive
            # connection, which would hide a lost answer and could run a function twice
            async with self.session.post(
                f"{self.base_url}/api/{planned.kind}",
                data=planned.body,
                headers={"Content-Type": "application/json", "X-Soak-Id": planned.rid},
            ) as response:
                status = response.status
                body = (await response.read()).decode("utf-8", "replace")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            tally.lost += 1
            self.results[planned.rid] = Result(planned.kind, None, LOST)
            self.note("lost", f"{planned.kind} {planned.rid}: {type(exc).__name__}: {exc}")
            return
        self.answered += 1
        tally.answered += 1
        tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
        if status == 500 and TIMEOUT_WORDS in body and WORKER_DIED not in body:
            self.own_timeouts += 1
        verdict, problem = judge(planned, status, body, self.options.burst_lines, self.killed_pids)
        setattr(tally, verdict, getattr(tally, verdict) + 1)
        if problem:
            self.note(f"wrong_{planned.kind}", f"{planned.rid}: {problem}")
        self.results[planned.rid] = Result(planned.kind, status, verdict)


# ---------------------------------------------------------------------------------- slow clients


@dataclass
class SlowResult:
    cut: bool  # the host closed (or refused) the connection within the limit
    seconds: float
    how: str


async def slow_client(host: str, port: int, drip_every: float, limit: float) -> SlowResult:
    """Send a request head one byte at a time and never finish it; see whether the host cuts
    the connection within ``limit`` seconds."""
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10.0)
    except (OSError, asyncio.TimeoutError) as exc:
        return SlowResult(True, time.monotonic() - start, f"refused at connect ({exc})")
    how, got = "", b""
    try:
        writer.write(b"POST /api/echo_sync HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        while time.monotonic() - start < limit:
            try:
                chunk = await asyncio.wait_for(reader.read(4096), drip_every)
            except asyncio.TimeoutError:
                writer.write(b"a")
                await writer.drain()
                continue
            if not chunk:
                how = "closed" + (f" after answering {got[:40]!r}" if got else "")
                break
            got += chunk
    except (ConnectionError, OSError) as exc:
        how = f"reset ({type(exc).__name__})"
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 2.0)
        except (OSError, asyncio.TimeoutError):
            pass
    seconds = time.monotonic() - start
    if how:
        return SlowResult(True, seconds, how)
    return SlowResult(False, seconds, f"still open after {limit:g} s")


class SlowClients:
    """Waves of slow clients while the load runs."""

    def __init__(
        self,
        host: str,
        port: int,
        total: int,
        wave: int,
        every: float,
        drip_every: float,
        limit: float,
    ) -> None:
        self.host, self.port = host, port
        self.total, self.wave, self.every = total, wave, every
        self.drip_every, self.limit = drip_every, limit
        self.tasks: list[asyncio.Task[SlowResult]] = []

    async def launch(self, stop: asyncio.Event) -> None:
        """A wave at once, then one every ``every`` seconds until ``total`` or ``stop``."""
        while len(self.tasks) < self.total and not stop.is_set():
            for _ in range(min(self.wave, self.total - len(self.tasks))):
                self.tasks.append(asyncio.ensure_future(slow_client(self.host, self.port, self.drip_every, self.limit)))
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except asyncio.TimeoutError:
                pass

    async def results(self) -> list[SlowResult]:
        return list(await asyncio.gather(*self.tasks))


# ---------------------------------------------------------------------------------- worker kills


def worker_processes(host_pid: int) -> list[psutil.Process]:
    """The host's live child processes (its workers)."""
    try:
        children = psutil.Process(host_pid).children(recursive=False)
    except psutil.Error:
        return []
    alive = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.Error:
            pass
    return alive


def _age(process: psutil.Process) -> float:
    """Seconds since the process started (0 if it is gone)."""
    try:
        return time.time() - process.create_time()
    except psutil.Error:
        return 0.0


@dataclass
class Kill:
    pid: int
    at_seconds: float
    answered: int


class Killer:
    """SIGKILLs a random worker every ``every`` seconds (one that has lived ``min_age`` s)."""

    def __init__(
        self,
        host_pid: int,
        every: float,
        most: int,
        min_age: float,
        seed: int,
        answered: Callable[[], int],
    ) -> None:
        self.host_pid = host_pid
        self.every, self.most, self.min_age = every, most, min_age
        self.rng = random.Random(seed)
        self.answered = answered
        self.kills: list[Kill] = []
        #: pids killed (filled before the signal, so an answer naming one is recognised)
        self.pids: set[int] = set()

    async def run(self, stop: asyncio.Event) -> None:
        start = time.monotonic()
        while self.every > 0 and len(self.kills) < self.most:
            try:
                await asyncio.wait_for(stop.wait(), self.every)
                return
            except asyncio.TimeoutError:
                pass
            victims = [p for p in worker_processes(self.host_pid) if _age(p) >= self.min_age and p.pid not in self.pids]
            if not victims:
                continue
            victim = self.rng.choice(victims)
            self.pids.add(victim.pid)
            try:
                os.kill(victim.pid, signal.SIGKILL)
            except OSError:
                self.pids.discard(victim.pid)
                continue
            self.kills.append(Kill(victim.pid, round(time.monotonic() - start, 1), self.answered()))
