"""The local host's console as the hostile soak reads it: the burst lines it showed, and every worker
process end it reported (by pid), each explained by the soak's kill or a functionTimeout recycle, or not."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from hostile_load import TIMEOUT_WORDS

#: a ready worker ended: "worker process 2 (pid 41) was killed by SIGKILL; restarting it now"
_DEATH_LINE = re.compile(r"worker process \d+ \(pid (\d+)\) (.*?); restarting")
#: a restart attempt failed: "restarting worker 2 failed (attempt 1, pid 42): ..."
_RESTART_FAILED = re.compile(r"restarting worker \d+ failed \(attempt \d+")
_PID = re.compile(r"\bpid (\d+)\b")
_BURST_LINE = re.compile(r"\) burst (r\d+-[0-9a-f]+) \d+\s*$")
_DROPPED = "console line(s) were dropped"
_KEPT = 300  # characters of a console line kept in a note


@dataclass
class ConsoleScan:
    """What the host's console said about its workers."""

    burst_lines_shown: int = 0
    #: pid -> the console line about that process's end (a ready worker's death or a failed restart)
    ends: dict[int, str] = field(default_factory=dict)
    #: pids the host restarted because an invocation outlived functionTimeout
    recycled: set[int] = field(default_factory=set)
    #: failed restarts naming no process (none was started)
    unnamed_failures: list[str] = field(default_factory=list)
    #: the console itself dropped lines (it could not keep up), so it may miss an end
    dropped_lines: bool = False


def scan_console(lines: Iterable[str], ok_bursts: set[str]) -> ConsoleScan:
    """Read the console's lines: burst lines of the answered bursts, worker ends by pid."""
    scan = ConsoleScan()
    for line in lines:
        burst = _BURST_LINE.search(line)
        if burst:
            scan.burst_lines_shown += burst.group(1) in ok_bursts
            continue
        text = line.strip()[:_KEPT]
        failed = _RESTART_FAILED.search(line)
        if failed:
            pid = _PID.search(line, failed.start())
            if pid:
                scan.ends.setdefault(int(pid.group(1)), text)
            else:
                scan.unnamed_failures.append(text)
            continue
        death = _DEATH_LINE.search(line)
        if death:
            scan.ends.setdefault(int(death.group(1)), text)
            if TIMEOUT_WORDS in death.group(2):
                scan.recycled.add(int(death.group(1)))
        elif _DROPPED in line:
            scan.dropped_lines = True
    return scan


def unexplained_ends(scan: ConsoleScan, vanished: Iterable[int], killed: set[int]) -> list[str]:
    """Each worker process that ended neither by the soak's kill nor by a functionTimeout recycle:
    those the console reported and those the soak saw vanish. One text per process (or failed
    start), the console's line when it has one."""
    found = []
    for pid in sorted(set(scan.ends) | set(vanished)):
        if pid in killed or pid in scan.recycled:
            continue
        line = scan.ends.get(pid)
        if line is None:
            line = f"worker process pid {pid} vanished, and the host console says nothing about it" + (
                " (the console dropped lines)" if scan.dropped_lines else ""
            )
        found.append(line)
    return found + scan.unnamed_failures
