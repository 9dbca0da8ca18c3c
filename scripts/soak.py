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
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import psutil  # noqa: E402
from soak_common import MAX_PROBLEMS_KEPT, repo_env  # noqa: E402
from soak_driver import INVOKE_TIMEOUT, SUCCESS, Report, Soak  # noqa: E402

from quickfunc.host.function_json import discover_v1_functions  # noqa: E402
from quickfunc.host.process import WorkerCommand, WorkerProcess  # noqa: E402
from quickfunc.host.rpc_server import RpcServer  # noqa: E402
from quickfunc.host.startup import wait_connected  # noqa: E402
from quickfunc.host.worker_channel import WorkerChannel  # noqa: E402

SOAK_APP = os.path.join(REPO_ROOT, "tests", "apps", "soak")
CONNECT_TIMEOUT = 60.0
EXIT_TIMEOUT = 10.0
SETTLE_SECONDS = 1.5  # after the last answer: room for late duplicates (sync sleeps are 1 s)


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
