"""The benchmark's report (scripts/bench.py): table rows and layout, versions line, notes, the
error report and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

import google.protobuf
from bench_config import MIB, REPO_ROOT, TARGETS, Case, ColdCase, Options
from bench_procs import Pinning, worker_env

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
        "grpclib": version("grpclib"),
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
        f"worker {v['revision']} | Python {v['python']} | grpclib {v['grpclib']} | "
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
    if "queue_drain" in results:
        out.append(
            "queue_drain: the local host (host + worker, not pinned) drains a burst put into its embedded "
            "store; its floor is the store alone in one process (put, receive 16, delete), with no host, "
            "worker or function; p50/p99 run from each put's commit to the function's completion line, so "
            "they include the wait in the queue behind the burst."
        )
    if "shm_16m" in results:
        out.append(
            "shm_16m: its floor column is the gRPC path; each mode runs in its own host-side process and "
            "worker (not pinned), so peak RSS (VmHWM) is that mode's alone; map files live in tmpfs (/dev/shm), which "
            "the kernel counts as shared memory, not as either process's RSS, while an echo runs."
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
    if lines:
        return lines
    none = "  none: every response was Success, HTTP 200, with the echoed body length"
    return [none + ("; every queued message completed once" if "queue_drain" in results else "")]


def to_json(path: str, meta: dict[str, Any], results: dict[str, Any]) -> None:
    """Write meta and every result to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
