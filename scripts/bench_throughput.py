"""One throughput case of the benchmark (scripts/bench.py): warm-up, alternating rounds per target,
and the statistics of the rounds (median rate, latency percentiles, CPU per invocation)."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from bench_config import INVOKE_TIMEOUT, MIB, Case, Options
from bench_load import MemoryWatch, Requests, Round, run_round
from bench_procs import Target

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
