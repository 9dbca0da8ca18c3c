"""The benchmark's settings (scripts/bench.py): paths, timeouts, the throughput and cold-start
cases, and the choice of cases from the command line."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from quickfunc.protos import pb

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS_DIR = os.path.join(REPO_ROOT, "scripts", "bench_apps")
V1_APP = os.path.join(APPS_DIR, "v1")
V2_APP = os.path.join(APPS_DIR, "v2")
FLOOR_SCRIPT = os.path.join(REPO_ROOT, "scripts", "floor_worker.py")
TARGETS = ("worker", "floor")
MIB = 1 << 20
SUCCESS = pb.StatusResult.Success
INVOKE_TIMEOUT = 20.0  # one invocation; the slowest healthy one here takes about 1 s
CONNECT_TIMEOUT = 60.0  # the host's StartStream timeout
EXIT_TIMEOUT = 10.0
MAX_ERROR_TEXTS = 5  # distinct error messages kept per case and target
RSS_SAMPLE_INTERVAL = 0.002
RUN_BUDGET = 1800.0  # hard bound on the whole run, seconds
#: bytecode cache for the spawned processes (a deployed worker has its .pyc files)
PYCACHE = os.path.join(tempfile.gettempdir(), "quickfunc-bench-pycache")


# --------------------------------------------------------------------------------------------
# cases and options
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One closed-loop throughput case."""

    name: str
    title: str
    function: str
    concurrency: int
    payload: int
    max_count: int  # per round
    warmup_count: int


@dataclass(frozen=True)
class ColdCase:
    """One cold-start case: spawn → StartStream → init → metadata → all loaded."""

    name: str
    title: str
    app_dir: str


def throughput_cases() -> list[Case]:
    """Every throughput case, in run order."""
    cases = [
        Case(f"echo_{kind}_c{c}", f"http echo {kind}, 128 B, c={c}", fn, c, 128, 200_000, 50_000)
        for kind, fn in (("sync", "HttpEchoSync"), ("async", "HttpEchoAsync"))
        for c in (1, 16, 256)
    ]
    cases.append(Case("sleep_c1000", "async sleep 50 ms, c=1000", "SleepAsync", 1000, 128, 200_000, 50_000))
    cases.append(Case("bytes_1m", "byte echo 1 MiB, c=1", "BytesEcho", 1, MIB, 5_000, 200))
    cases.append(Case("bytes_16m", "byte echo 16 MiB, c=1", "BytesEcho", 1, 16 * MIB, 500, 3))
    return cases


def cold_cases() -> list[ColdCase]:
    """The cold-start cases."""
    return [
        ColdCase("cold_v1", "cold start v1 (function.json)", V1_APP),
        ColdCase("cold_v2", "cold start v2 (decorators)", V2_APP),
    ]


@dataclass
class Options:
    """What to run and how long."""

    rounds: int
    duration: float
    warmup: float
    cold_runs: int
    pin: bool
    json_path: str | None
    cases: list[Case]
    colds: list[ColdCase]
    #: run the queue_drain case (opt-in: only when --cases names it)
    queue: bool = False
    #: run the shm_16m case (opt-in: only when --cases names it)
    shm: bool = False


#: the local-host queue case (scripts/bench_queue.py), not part of the default run
QUEUE_CASE = "queue_drain"
#: shared memory against the gRPC path (scripts/bench_shm.py), not part of the default run
SHM_CASE = "shm_16m"


def select(spec: str | None, names: list[str]) -> list[str]:
    """Names chosen by a comma list of exact names or prefixes (``echo``, ``cold``, ``bytes``)."""
    if not spec:
        return list(names)
    chosen: list[str] = []
    for word in (w.strip() for w in spec.split(",")):
        hits = [word] if word in names else [n for n in names if word and n.startswith(word)]
        if not hits:
            raise SystemExit(f"unknown case {word!r}; cases: {', '.join(names)}")
        chosen += [h for h in hits if h not in chosen]
    return chosen
