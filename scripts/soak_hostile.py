"""Hostile soak (issue 11): the local host over real HTTP, two workers, a hostile mix; checks that
every request is answered exactly once, none is lost, no function runs twice, memory stays flat.

Usage::

    python scripts/soak_hostile.py [--requests N] [--concurrency C] [--max-seconds S] [--json PATH]
    python scripts/soak.py --hostile ...            (the same)

``python -m quickfunc.host tests/apps/soak_hostile --port 0`` runs with
FUNCTIONS_WORKER_PROCESS_COUNT=2 (functionTimeout 4 s in the app's host.json). C closed-loop
aiohttp clients POST requests, each with a unique id (JSON body and ``X-Soak-Id``): echoes (sync
and async), exceptions holding a lone surrogate, whose ``__str__`` raises, with a cyclic
``__cause__`` chain, a ``def`` that spins until functionTimeout cuts it (every --spin-every-th
request), log bursts (--burst-lines lines, every --burst-every-th). Meanwhile slow clients drip a
request head a byte a second (the host must cut them: its --header-timeout is set when it has one)
and a random worker is SIGKILLed every --kill-every seconds. Slow clients are not requests.

Checked (the exit code is 0 only if all hold; 1 otherwise, 2 for a bad command line):

- every request got exactly one complete HTTP response (lost: connection error or timeout);
- no function ran twice for one id: each run appends its id to ``ran-<pid>.txt`` in a temporary
  folder (``SOAK_HOSTILE_DIR``); no answer 200 without a run; no unknown id ran;
- each answer is what its kind must answer (echo: 200 and the id; the exceptions: a 500 naming
  them; spin: a 500 naming functionTimeout); any kind may instead get the host's 500 for a worker
  that died under it, when the soak killed that worker or the host recycled it for a timeout;
- no worker process ended other than by the soak's kills or the host's functionTimeout recycling:
  every end the host's console reports (a ready worker's death, a failed restart) and every worker
  process the soak saw vanish is matched by pid to a kill or a recycle, else it is named;
- every slow client was cut within --slow-limit seconds;
- RSS grew less than --max-rss-growth percent: the host from its warm-up (--warmup requests
  answered) to the end; each worker process from its own warm-up (--worker-warmup requests
  answered after it appeared) to its last sample, judged when it lived --worker-min-span more
  answered requests (at least one must be); restarted workers are judged the same way;
- the host exits with code 0 on SIGTERM at the end.

The host and its workers run a copy of ``worker/quickfunc`` and of the app made when the soak
starts, so that edits to the checkout during the run neither mix two versions of the code nor
break a worker that is being restarted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import glob
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from hostile_console import scan_console, unexplained_ends
from hostile_host import HostProcess, RssSampler, host_supports
from hostile_load import (
    EXPECTED,
    KINDS,
    RANDOM_MIX,
    Killer,
    Load,
    LoadOptions,
    SlowClients,
)
from hostile_report import print_report
from soak_common import APPS_DIR, REPO_ROOT, Findings, repo_env

HOSTILE_APP = os.path.join(APPS_DIR, "soak_hostile")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0  # the host's drain (30 s) and its workers' terminate grace, with room
SETTLE_SECONDS = 1.0


@dataclass
class Report(Findings):
    """What one hostile soak found; ``ok`` is the verdict."""

    requests_planned: int
    concurrency: int
    sent: int = 0
    answered: int = 0  # exactly one complete HTTP response
    lost: int = 0  # connection error or timeout, no response
    duplicated: int = 0  # ids whose function ran more than once
    runs_recorded: int = 0
    ran_unknown_id: int = 0
    answered_200_without_run: int = 0
    wrong: int = 0
    worker_lost: int = 0  # 500s for a worker the soak killed or the host recycled
    own_timeouts: int = 0  # 500s naming functionTimeout for the invocation itself
    by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    requests_per_s: float = 0.0
    deadline_hit: bool = False
    worker_kills: list[dict[str, Any]] = field(default_factory=list)
    worker_deaths_other: int = 0  # worker processes that ended, not killed by the soak nor recycled
    slow_clients: int = 0
    slow_clients_cut: int = 0
    slow_clients_not_cut: int = 0
    slow_cut_max_s: float = 0.0
    slow_limit_s: float = 0.0
    header_timeout_s: float | None = None  # what the host was given (None: it has no option)
    burst_lines_expected: int = 0
    burst_lines_shown: int = 0
    host_rss_start_mib: float | None = None
    host_rss_start_at: int = 0
    host_rss_end_mib: float | None = None
    host_rss_growth_pct: float = float("inf")
    workers: list[dict[str, Any]] = field(default_factory=list)
    workers_judged: int = 0
    max_rss_growth_pct: float = 10.0
    host_exit_code: int | None = None
    kept_folder: str = ""

    @property
    def workers_rss_ok(self) -> bool:
        judged = [w for w in self.workers if w["judged"]]
        return bool(judged) and all(w["growth_pct"] < self.max_rss_growth_pct for w in judged)

    @property
    def ok(self) -> bool:
        return (
            self.sent == self.answered == self.requests_planned
            and not self.lost
            and not self.duplicated
            and not self.ran_unknown_id
            and not self.answered_200_without_run
            and not self.wrong
            and not self.worker_deaths_other
            and not self.slow_clients_not_cut
            and self.host_rss_growth_pct < self.max_rss_growth_pct
            and self.workers_rss_ok
            and self.host_exit_code == 0
            and not self.deadline_hit
        )


def read_runs(folder: str) -> collections.Counter[str]:
    """How many times each id ran, from every worker's run file."""
    runs: collections.Counter[str] = collections.Counter()
    for path in glob.glob(os.path.join(folder, "ran-*.txt")):
        with open(path, encoding="utf-8", errors="replace") as f:
            runs.update(line.strip() for line in f if line.strip())
    return runs


def check_runs(report: Report, load: Load, runs: collections.Counter[str]) -> None:
    report.runs_recorded = sum(runs.values())
    for rid, count in runs.items():
        result = load.results.get(rid)
        if result is None:
            report.ran_unknown_id += 1
            report.note("ran_unknown_id", rid)
        elif count > 1:
            report.duplicated += 1
            report.note("duplicated", f"{result.kind} {rid} ran {count} times (answered {result.status})")
    for rid, result in load.results.items():
        if result.status == 200 and result.verdict == EXPECTED and rid not in runs:
            report.answered_200_without_run += 1
            report.note("answered_200_without_run", f"{result.kind} {rid}")


def snapshot(folder: str, app: str) -> tuple[str, str]:
    """Copy ``worker/quickfunc`` and the app into ``folder``: (the folder to put first on
    PYTHONPATH, the app's copy)."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    code = os.path.join(folder, "code")
    shutil.copytree(os.path.join(REPO_ROOT, "worker", "quickfunc"), os.path.join(code, "quickfunc"), ignore=skip)
    return code, shutil.copytree(app, os.path.join(folder, "app"), ignore=skip)


async def run(ns: argparse.Namespace) -> Report:
    """Start the host, run the load with its hostile extras, stop the host; fill the Report."""
    report = Report(
        requests_planned=ns.requests,
        concurrency=ns.concurrency,
        max_rss_growth_pct=ns.max_rss_growth,
    )
    folder = tempfile.mkdtemp(prefix="soak-hostile-")
    code, app = snapshot(folder, ns.app)
    env = repo_env(
        {
            "FUNCTIONS_WORKER_PROCESS_COUNT": str(ns.workers),
            "SOAK_HOSTILE_DIR": folder,
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
        },
        drop_prefixes=("FUNCTIONS_", "QUICKFUNC_"),
    )
    env["PYTHONPATH"] = os.pathsep.join([code, env["PYTHONPATH"]])
    args: list[str] = []
    if ns.slow_clients and host_supports("--header-timeout", env):
        args += ["--header-timeout", f"{ns.header_timeout:g}"]
        report.header_timeout_s = ns.header_timeout
    report.slow_limit_s = ns.slow_limit or (report.header_timeout_s or 30.0) + 20.0
    log_path = os.path.join(folder, "host.log")
    host = HostProcess(app, log_path, env, args)
    try:
        await host.start(START_TIMEOUT)
        await _soak(ns, report, host, folder, log_path)
    finally:
        host.kill()
        if ns.keep:
            report.kept_folder = folder
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return report


async def _soak(ns: argparse.Namespace, report: Report, host: HostProcess, folder: str, log_path: str) -> None:
    mix = {k: w for k, w in RANDOM_MIX.items() if k not in ns.leave_out}
    options = LoadOptions(
        ns.requests,
        ns.concurrency,
        ns.request_timeout,
        ns.seed,
        ns.spin_every,
        ns.burst_every,
        ns.burst_lines,
        mix,
    )
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=ns.request_timeout)
    connector = aiohttp.TCPConnector(limit=ns.concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        killer = Killer(host.pid, ns.kill_every, ns.kills, 2.0, ns.seed, lambda: load.answered)
        load = Load(session, host.url, options, time.monotonic() + ns.max_seconds, killer.pids, report.note)
        warmup = ns.warmup if ns.warmup is not None else max(200, ns.requests // 10)
        sampler = RssSampler(host.pid, lambda: load.answered, warmup, ns.worker_warmup)
        slow = SlowClients(
            "127.0.0.1",
            host.port,
            ns.slow_clients,
            ns.slow_wave,
            ns.slow_every,
            ns.slow_drip,
            report.slow_limit_s,
        )
        extras = [asyncio.ensure_future(c) for c in (killer.run(stop), sampler.run(stop), slow.launch(stop))]
        start = time.perf_counter()
        try:
            await load.run()
        finally:
            report.seconds = round(time.perf_counter() - start, 1)
            stop.set()
            await asyncio.gather(*extras, return_exceptions=True)
        await asyncio.sleep(SETTLE_SECONDS)
        sampler.finish(killer.pids, ns.worker_min_span)
        slow_results = await slow.results()
    report.host_exit_code = await host.stop(STOP_TIMEOUT)
    _fill(report, load, killer, sampler)
    report.slow_clients = len(slow_results)
    for result in slow_results:
        if result.cut:
            report.slow_clients_cut += 1
            report.slow_cut_max_s = round(max(report.slow_cut_max_s, result.seconds), 1)
        else:
            report.slow_clients_not_cut += 1
            report.note("slow_client_not_cut", result.how)
    check_runs(report, load, read_runs(folder))
    ok_bursts = {rid for rid, r in load.results.items() if r.kind == "burst" and r.status == 200}
    report.burst_lines_expected = len(ok_bursts) * ns.burst_lines
    with open(log_path, encoding="utf-8", errors="replace") as f:
        console = scan_console(f, ok_bursts)
    report.burst_lines_shown = console.burst_lines_shown
    # every end the console reports or the sampler saw, by pid: killed, recycled, or neither
    for line in unexplained_ends(console, sampler.vanished, killer.pids):
        report.worker_deaths_other += 1
        report.note("worker_death_other", line)


def _fill(report: Report, load: Load, killer: Killer, sampler: RssSampler) -> None:
    report.sent, report.answered, report.deadline_hit = load.sent, load.answered, load.deadline_hit
    report.requests_per_s = round(load.answered / report.seconds, 1) if report.seconds else 0.0
    for kind in KINDS:
        tally = load.tallies[kind]
        report.by_kind[kind] = dict(vars(tally))
        report.lost += tally.lost
        report.wrong += tally.wrong
        report.worker_lost += tally.worker_lost
    report.own_timeouts = load.own_timeouts
    report.worker_kills = [dict(vars(k)) for k in killer.kills]
    report.host_rss_start_mib = _mib(sampler.host_start_mib)
    report.host_rss_start_at = sampler.host_start_at
    report.host_rss_end_mib = _mib(sampler.host_end_mib)
    report.host_rss_growth_pct = round(sampler.host_growth_pct, 2)
    report.workers = [dict(vars(w)) for w in sampler.workers.values()]
    report.workers_judged = sum(1 for w in sampler.workers.values() if w.judged)


def _mib(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = p.add_argument
    add("--requests", type=int, default=100_000)
    add("--concurrency", type=int, default=32)
    add(
        "--max-seconds",
        type=float,
        default=1800.0,
        help="stop sending after this long (the run then fails)",
    )
    add("--request-timeout", type=float, default=30.0, help="seconds per request")
    add("--seed", type=int, default=1)
    add("--workers", type=int, default=2, help="FUNCTIONS_WORKER_PROCESS_COUNT")
    add("--spin-every", type=int, default=5000, help="every n-th request spins (0: none)")
    add("--burst-every", type=int, default=200, help="every n-th request logs a burst (0: none)")
    add("--burst-lines", type=int, default=2000)
    add("--kill-every", type=float, default=60.0, help="seconds between worker kills (0: none)")
    add("--kills", type=int, default=1000, help="at most this many worker kills")
    add("--slow-clients", type=int, default=30, help="slow clients in all (0: none)")
    add("--slow-wave", type=int, default=3, help="slow clients started together")
    add("--slow-every", type=float, default=20.0, help="seconds between waves")
    add("--slow-drip", type=float, default=1.0, help="seconds between the bytes they send")
    add(
        "--header-timeout",
        type=float,
        default=10.0,
        help="given to the host as --header-timeout, when it has that option",
    )
    add(
        "--slow-limit",
        type=float,
        default=None,
        help="a slow client must be cut within this (default: header timeout + 20 s)",
    )
    add(
        "--warmup",
        type=int,
        default=None,
        help="answered requests before the host's RSS baseline (default: 10 %%, at least 200)",
    )
    add(
        "--worker-warmup",
        type=int,
        default=1000,
        help="answered requests after a worker appears before its RSS baseline",
    )
    add(
        "--worker-min-span",
        type=int,
        default=2000,
        help="answered requests past its baseline for a worker's RSS to be judged",
    )
    add("--max-rss-growth", type=float, default=10.0, help="percent")
    add(
        "--leave-out",
        default="",
        type=lambda text: {k for k in text.split(",") if k},
        help=f"comma-separated kinds left out of the random mix ({', '.join(RANDOM_MIX)})",
    )
    add("--app", default=HOSTILE_APP)
    add("--keep", action="store_true", help="keep the host console and run files")
    add("--json", default=None, help="also write the report here")
    ns = p.parse_args(argv)
    if min(ns.requests, ns.concurrency, ns.workers, ns.burst_lines) < 1 or ns.max_seconds <= 0:
        p.error("--requests, --concurrency, --workers, --burst-lines and --max-seconds must be positive")
    unknown = ns.leave_out - set(RANDOM_MIX)
    if unknown or ns.leave_out >= set(RANDOM_MIX):
        p.error(
            f"--leave-out: kinds are {', '.join(RANDOM_MIX)}, and one must stay"
            + (f" (not {', '.join(sorted(unknown))})" if unknown else "")
        )
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    limit = ns.slow_limit or max(ns.header_timeout, 30.0) + 20.0
    overall = ns.max_seconds + ns.request_timeout + START_TIMEOUT + STOP_TIMEOUT + limit + 60.0
    try:
        report = asyncio.run(asyncio.wait_for(run(ns), overall))
    except (RuntimeError, asyncio.TimeoutError, OSError) as exc:
        print(f"hostile soak: could not run: {exc}", file=sys.stderr)
        return 1
    print_report(report)
    if ns.json:
        report.write_json(ns.json)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
