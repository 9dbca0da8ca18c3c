"""The soak's log check (scripts/soak.py): numbered lines per invocation, each exactly once,
attributed to its invocation and arrived before its response."""

from __future__ import annotations

from typing import Protocol

from quickfunc.protos import pb

ERROR_LEVEL = pb.RpcLog.Level.Value("Error")
LOG_MARK = "soak-log "


class LogCounts(Protocol):
    """The report fields the tracker fills."""

    worker_internal_errors: int
    logs_received: int
    log_problems: int

    def note(self, kind: str, text: str) -> None: ...


class LogTracker:
    """Collects the soak's numbered log lines per invocation as they arrive (host side)."""

    def __init__(self, report: LogCounts) -> None:
        self.report = report
        self.lines: dict[str, list[tuple[str, int]]] = {}
        #: invocations already answered: a line for one of them arrived after its response
        self.finished: set[str] = set()

    def on_log(self, log: pb.RpcLog) -> None:
        if log.level == ERROR_LEVEL and "internal error" in log.message:
            self.report.worker_internal_errors += 1
            self.report.note("internal_error", log.message[:300])
        if not log.message.startswith(LOG_MARK):
            return
        self.report.logs_received += 1
        try:
            token, index = log.message[len(LOG_MARK) :].split()
            parsed = (token, int(index))
        except ValueError:
            self.report.log_problems += 1
            self.report.note("log_unreadable", log.message[:200])
            return
        if not log.invocation_id:
            self.report.log_problems += 1
            self.report.note("log_without_invocation_id", log.message)
            return
        if log.invocation_id in self.finished:
            self.report.log_problems += 1
            self.report.note("log_after_response", f"{log.invocation_id}: {log.message}")
            return
        self.lines.setdefault(log.invocation_id, []).append(parsed)

    def check(self, invocation_id: str, token: str, count: int) -> None:
        """The invocation's lines must be exactly token 0..count-1, once each."""
        lines = self.lines.pop(invocation_id, [])
        self.finished.add(invocation_id)
        expected = [(token, i) for i in range(count)]
        if sorted(lines) != expected:
            self.report.log_problems += 1
            self.report.note(
                "log_mismatch",
                f"{invocation_id}: expected {count} lines of {token}, got {sorted(lines)[:5]}... ({len(lines)} lines)",
            )

    def strays(self) -> None:
        """Lines of invocations that never completed as logging invocations."""
        for invocation_id, lines in self.lines.items():
            self.report.log_problems += len(lines)
            self.report.note("log_for_unknown_invocation", f"{invocation_id}: {lines[:3]}")
        self.lines.clear()
