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

``--cases queue_drain`` (opt-in, scripts/bench_queue.py) instead starts the local host on
scripts/bench_apps/queue and times it draining 10,000 messages put into its embedded store.
``--cases shm_16m`` (opt-in, scripts/bench_shm.py) echoes a 16 MiB blob input to a blob output
through shared memory and through the gRPC stream, each mode in fresh processes: MiB/s, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bench_config import QUEUE_CASE, RUN_BUDGET, SHM_CASE, TARGETS, Options, cold_cases, select, throughput_cases  # noqa: E402
from bench_procs import Pinning, Target, plan_pinning, run_cold_case, start_target, stop_process  # noqa: E402
from bench_queue import queue_rows, run_queue_case  # noqa: E402
from bench_report import (  # noqa: E402
    HEADER,
    Row,
    case_errors,
    cold_rows,
    error_report,
    format_table,
    memory_rows,
    notes,
    rest_rows,
    throughput_rows,
    to_json,
    version_line,
    versions,
)
from bench_shm import run_shm_case, shm_rows  # noqa: E402
from bench_throughput import run_case  # noqa: E402

from quickfunc.host.rpc_server import RpcServer  # noqa: E402


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
    p.add_argument(
        "--cases",
        help=f"comma list of case names or prefixes (default: all but {QUEUE_CASE} and {SHM_CASE}, which are opt-in)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 1 short round, 2 cold starts")
    p.add_argument("--no-pin", action="store_true", help="do not pin host and worker to cores")
    p.add_argument("--json", dest="json_path", help="write every number to this file")
    a = p.parse_args(argv)
    rounds, duration, cold_runs = (1, 0.3, 2) if a.quick else (a.rounds, a.duration, 5)
    if rounds < 1 or not 0.05 <= duration <= 600:
        p.error("--rounds must be >= 1 and --duration between 0.05 and 600")
    all_cases, all_colds = throughput_cases(), cold_cases()
    names = [c.name for c in all_cases] + [c.name for c in all_colds]
    chosen = select(a.cases, names + [QUEUE_CASE, SHM_CASE]) if a.cases else names
    return Options(
        rounds=rounds,
        duration=duration,
        warmup=max(0.1, min(0.5, duration / 4)),
        cold_runs=cold_runs,
        pin=not a.no_pin,
        json_path=a.json_path,
        cases=[c for c in all_cases if c.name in chosen],
        colds=[c for c in all_colds if c.name in chosen],
        queue=QUEUE_CASE in chosen,
        shm=SHM_CASE in chosen,
    )


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
        if opts.queue:
            print(f"... {QUEUE_CASE}", file=sys.stderr, flush=True)
            # its own processes (the local host and its worker), so off the event loop
            results[QUEUE_CASE] = await asyncio.to_thread(run_queue_case, opts.rounds)
            rows += queue_rows(results[QUEUE_CASE], opts.rounds)
        if opts.shm:
            print(f"... {SHM_CASE}", file=sys.stderr, flush=True)
            results[SHM_CASE] = await asyncio.to_thread(run_shm_case, opts.rounds)
            rows += shm_rows(results[SHM_CASE], opts.rounds)
    finally:
        await server.stop(0)
    return {"results": results, "rows": rows}


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
