"""The hostile soak's printed report (scripts/soak_hostile.py): the tallies per kind, the worker
kills and deaths, the slow clients, RSS, and the problems found."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soak_hostile import Report

WORKER_ROWS = 12  # worker processes listed in the printed report


def print_report(r: Report) -> None:
    print(
        f"hostile soak: {r.sent}/{r.requests_planned} sent, {r.answered} answered exactly "
        f"once, {r.lost} lost, {r.duplicated} duplicated (ran twice), at concurrency "
        f"{r.concurrency} in {r.seconds:.1f} s ({r.requests_per_s:.0f} req/s)"
    )
    print(
        f"  {'kind':<11}{'sent':>7}{'answered':>9}{'expected':>9}{'worker-lost':>12}{'wrong':>7}{'lost':>6}  statuses"
    )
    for kind, t in r.by_kind.items():
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(t["statuses"].items()))
        print(
            f"  {kind:<11}{t['sent']:>7}{t['answered']:>9}{t['expected']:>9}"
            f"{t['worker_lost']:>12}{t['wrong']:>7}{t['lost']:>6}  {statuses}"
        )
    print(
        f"  runs recorded {r.runs_recorded}; unknown ids run {r.ran_unknown_id}; answered 200 "
        f"without a run {r.answered_200_without_run}"
    )
    pids = ", ".join(str(k["pid"]) for k in r.worker_kills)
    print(
        f"  worker kills {len(r.worker_kills)} ({pids or 'none'}); own functionTimeouts "
        f"{r.own_timeouts}; other worker deaths {r.worker_deaths_other}"
    )
    given = (
        f"--header-timeout {r.header_timeout_s:g}"
        if r.header_timeout_s is not None
        else "the host has no --header-timeout"
    )
    print(
        f"  slow clients {r.slow_clients}: {r.slow_clients_cut} cut (slowest after "
        f"{r.slow_cut_max_s:g} s), {r.slow_clients_not_cut} still open at {r.slow_limit_s:g} s "
        f"({given})"
    )
    print(
        f"  log bursts: {r.burst_lines_shown}/{r.burst_lines_expected} lines of the answered "
        "bursts shown by the host (not a check)"
    )
    print(
        f"  RSS host {r.host_rss_start_mib} MiB at request {r.host_rss_start_at}, "
        f"{r.host_rss_end_mib} MiB at the end: {r.host_rss_growth_pct:+.2f} % "
        f"(limit {r.max_rss_growth_pct:g} %)"
    )
    print(f"  RSS workers ({len(r.workers)} processes, {r.workers_judged} judged):")
    # the judged ones, most growth first, then those alive at the end, then the rest
    shown = sorted(r.workers, key=lambda w: (not w["judged"], -(w["growth_pct"] or 0.0), w["ended"] != "alive"))
    for w in shown[:WORKER_ROWS]:
        base = f"{w['baseline_mib']:.1f} MiB at {w['baseline_at']}" if w["baseline_mib"] is not None else "no baseline"
        growth = f"{w['growth_pct']:+.2f} %" if w["growth_pct"] is not None else "-"
        print(
            f"    pid {w['pid']:<7} seen at {w['first_seen_at']:<7} {base:<24} last "
            f"{w['last_mib']:.1f} MiB at {w['last_at']:<7} {growth:>9}  {w['ended']}"
            f"{', judged' if w['judged'] else ''}"
        )
    if len(shown) > WORKER_ROWS:
        rest = shown[WORKER_ROWS:]
        print(
            f"    ... {len(rest)} more ({sum(1 for w in rest if w['judged'])} of them judged, "
            "with less growth); all are in the JSON report"
        )
    print(f"  host exit code {r.host_exit_code}")
    if r.deadline_hit:
        print("  the time limit was reached before every request was sent")
    if r.kept_folder:
        print(f"  host console and run files kept in {r.kept_folder}")
    r.print_problems("hostile soak")
