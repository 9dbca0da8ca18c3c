"""The queue_drain case of the benchmark (scripts/bench.py, issue 13): the local host drains
10,000 messages put straight into its embedded store; rate, enqueue → completion latency, lost and
duplicated messages, against a floor of the store alone (put + receive + delete, no functions)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from bench_config import APPS_DIR
from bench_procs import pin_threads, worker_env
from bench_throughput import percentile

from quickfunc.host.storage.embedded import store_path
from quickfunc.host.storage.embedded_db import EmbeddedDb

QUEUE_APP = os.path.join(APPS_DIR, "queue")
QUEUE = "bench-drain"  # the app's queue_name
#: the app's script (not function_app.py, so that mypy sees one module of each name)
SCRIPT = "queue_app.py"
MESSAGES = 10_000
WARMUP_MESSAGES = 200
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 300.0  # the whole drain, seconds
STALL_TIMEOUT = 30.0  # no completion for this long: give up waiting
POLL = 0.02
FLOOR_BATCH = 16  # the host's default batchSize
#: the cores this process may use before bench.py pins it; the local host gets all of them
ALL_CORES = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


@dataclass
class Drain:
    """One drain: when each message was put, and every completion line the function wrote."""

    enqueued: dict[str, float] = field(default_factory=dict)
    done: dict[str, list[float]] = field(default_factory=dict)
    first_put: float = 0.0
    last_put: float = 0.0


def body(key: str) -> bytes:
    """The message text as the host expects it by default (messageEncoding base64)."""
    return base64.b64encode(key.encode())


def read_done(path: str, offset: int, drain: Drain) -> int:
    """Add the whole lines written since ``offset``; the new offset."""
    with open(path, "rb") as f:
        f.seek(offset)
        chunk = f.read()
    end = chunk.rfind(b"\n") + 1
    for line in chunk[:end].decode().splitlines():
        key, _, stamp = line.partition(",")
        drain.done.setdefault(key, []).append(float(stamp))
    return offset + end


def wait_drained(path: str, offset: int, drain: Drain, keys: list[str], host: subprocess.Popen) -> int:
    """Poll the completion file until every key is done, the host exits, or progress stalls."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    last_progress, seen = time.monotonic(), -1
    while time.monotonic() < deadline and host.poll() is None:
        offset = read_done(path, offset, drain)
        count = sum(1 for k in keys if k in drain.done)
        if count == len(keys):
            break
        if count != seen:
            last_progress, seen = time.monotonic(), count
        elif time.monotonic() - last_progress > STALL_TIMEOUT:
            break
        time.sleep(POLL)
    time.sleep(0.5)  # a duplicate would come within the lease; catch any that is already written
    return read_done(path, offset, drain)


def enqueue(db: EmbeddedDb, keys: list[str], drain: Drain) -> None:
    """Put every message, one transaction each, as a producer would; time each commit."""
    drain.first_put = time.time()
    for key in keys:
        db.put_message(QUEUE, body(key))
        drain.enqueued[key] = time.time()
    drain.last_put = time.time()


def start_host(app: str, done_file: str, log: Any) -> subprocess.Popen:
    """``python -m quickfunc.host APP --port 0`` on every core, its output to ``log``."""
    env = worker_env()
    env = {k: v for k, v in env.items() if not k.startswith(("FUNCTIONS_", "QUICKFUNC_"))}
    env.update(
        {"BENCH_DONE_FILE": done_file, "PYTHON_SCRIPT_FILE_NAME": SCRIPT, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    )
    host = subprocess.Popen(
        [sys.executable, "-m", "quickfunc.host", app, "--port", "0", "--storage", "embedded"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    unpin(host.pid)  # at once, so that the workers it starts inherit every core
    return host


def unpin(pid: int) -> None:
    """Let a process and its children (the workers) run on every core, not just the bench's."""
    if not ALL_CORES:
        return
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return
    for proc in procs:
        pin_threads(proc.pid, ALL_CORES)


def wait_listening(host: subprocess.Popen, log_path: str) -> None:
    """Until the host printed its listening line; RuntimeError with its output otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and host.poll() is None:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            if "Listening on" in f.read():
                return
        time.sleep(0.05)
    with open(log_path, encoding="utf-8", errors="replace") as f:
        raise RuntimeError("the local host did not start:\n" + f.read()[-3000:])


def stop_host(host: subprocess.Popen) -> None:
    """SIGINT to its process group (as Ctrl+C), then kill after a bound."""
    if host.poll() is None:
        os.killpg(host.pid, 2)
        try:
            host.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(host.pid, 9)
            host.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system time of a process and its children (the worker processes)."""
    try:
        proc = psutil.Process(pid)
        total = sum(proc.cpu_times()[:2])
        for child in proc.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def drain_stats(drain: Drain, keys: list[str]) -> dict[str, Any]:
    """Rate from the first put to the last completion, latencies, lost, duplicated."""
    done = {k: drain.done[k] for k in keys if k in drain.done}
    latencies = sorted(min(v) - drain.enqueued[k] for k, v in done.items())
    last = max((max(v) for v in done.values()), default=drain.first_put)
    elapsed = last - drain.first_put
    lost = len(keys) - len(done)
    duplicated = sum(len(v) - 1 for v in done.values())
    errors = {}
    if lost:
        errors["lost (never completed)"] = lost
    if duplicated:
        errors["duplicated (completed more than once)"] = duplicated
    return {
        "messages": len(keys),
        "completed": len(done),
        "rate": len(done) / elapsed if elapsed > 0 else 0.0,
        "elapsed_s": elapsed,
        "enqueue_rate": len(keys) / (drain.last_put - drain.first_put) if drain.last_put > drain.first_put else 0.0,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": latencies[-1] * 1e3 if latencies else None,
        "lost": lost,
        "duplicated": duplicated,
        "errors": lost + duplicated,
        "error_texts": errors,
    }


def run_drain(work: str, count: int) -> dict[str, Any]:
    """Copy the app, start the local host, warm up, put ``count`` messages, wait for them."""
    app = os.path.join(work, "app")
    shutil.copytree(QUEUE_APP, app)
    done_file = os.path.join(work, "done.csv")
    log_path = os.path.join(work, "host.log")
    os.makedirs(os.path.dirname(store_path(app)), exist_ok=True)
    db = EmbeddedDb(store_path(app))
    db.create_queue(QUEUE)
    open(done_file, "wb").close()
    with open(log_path, "wb") as log:
        host = start_host(app, done_file, log)
    try:
        wait_listening(host, log_path)
        unpin(host.pid)
        warm_keys = [f"w{i}" for i in range(WARMUP_MESSAGES)]
        warm = Drain()
        enqueue(db, warm_keys, warm)
        offset = wait_drained(done_file, 0, warm, warm_keys, host)
        keys = [str(i) for i in range(count)]
        drain = Drain()
        cpu_before, wall_before = cpu_seconds(host.pid), time.monotonic()
        enqueue(db, keys, drain)
        wait_drained(done_file, offset, drain, keys, host)
        cpu = cpu_seconds(host.pid) - cpu_before
        wall = time.monotonic() - wall_before
        result = drain_stats(drain, keys)
        result["host_cpu_pct"] = cpu / wall * 100 if wall else 0.0
        result["warmup_errors"] = drain_stats(warm, warm_keys)["errors"]
        result["warmup_error_texts"] = {}
        if host.poll() is not None or result["errors"] or result["warmup_errors"]:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                result["output_tail"] = f.read()[-3000:]
        return result
    finally:
        stop_host(host)
        db.close()


def run_floor(work: str, count: int) -> dict[str, Any]:
    """The store alone in this process: put ``count`` messages, then receive them in batches of
    FLOOR_BATCH and delete each; messages per second over the whole."""
    db = EmbeddedDb(os.path.join(work, "floor.db"))
    db.create_queue(QUEUE)
    started = time.perf_counter()
    for i in range(count):
        db.put_message(QUEUE, body(str(i)))
    deleted = 0
    while deleted < count:
        batch = db.receive_messages(QUEUE, FLOOR_BATCH, 600)
        if not batch:
            break
        for message in batch:
            db.delete_message(QUEUE, message.id, message.pop_receipt)
        deleted += len(batch)
    elapsed = time.perf_counter() - started
    db.close()
    return {"rate": deleted / elapsed if elapsed else 0.0, "elapsed_s": elapsed, "messages": deleted}


def run_queue_case(rounds: int, count: int = MESSAGES) -> dict[str, Any]:
    """``rounds`` drains, each on a fresh app copy and store, then the floor; the median drain."""
    drains, floors = [], []
    for i in range(rounds):
        print(f"    round {i + 1}: draining {count:,} messages", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="quickfunc-bench-queue-") as work:
            drains.append(run_drain(work, count))
        with tempfile.TemporaryDirectory(prefix="quickfunc-bench-queue-floor-") as work:
            floors.append(run_floor(work, count))
    by_rate = sorted(drains, key=lambda d: d["rate"])
    worker = dict(by_rate[len(by_rate) // 2])
    worker["rates"] = [d["rate"] for d in drains]
    worker["errors"] = sum(d["errors"] for d in drains)
    worker["warmup_errors"] = sum(d["warmup_errors"] for d in drains)
    worker["lost"] = sum(d["lost"] for d in drains)
    worker["duplicated"] = sum(d["duplicated"] for d in drains)
    texts: dict[str, int] = {}
    for d in drains:
        for text, n in d["error_texts"].items():
            texts[text] = texts.get(text, 0) + n
    worker["error_texts"] = texts
    floor_rates = sorted(f["rate"] for f in floors)
    return {"worker": worker, "floor": {"rate": floor_rates[len(floor_rates) // 2], "rates": floor_rates}}


def queue_rows(res: dict[str, Any], rounds: int) -> list[tuple[str, str, str, str, str]]:
    """Table rows: messages/s beside the store alone, latencies, lost, duplicated, CPU."""
    w, f = res["worker"], res["floor"]
    n = "n/a"
    return [
        (
            f"queue drain {w['messages']:,} msgs, local host (median of {rounds})",
            "messages/s (floor: store alone)",
            f"{w['rate']:,.0f}",
            f"{f['rate']:,.0f}",
            f"{w['rate'] / f['rate']:.2f}x" if f["rate"] else n,
        ),
        ("", "p50 enqueue -> done ms", f"{w['p50_ms']:,.0f}", n, n),
        ("", "p99 enqueue -> done ms", f"{w['p99_ms']:,.0f}", n, n),
        ("", "enqueue messages/s (producer)", f"{w['enqueue_rate']:,.0f}", n, n),
        ("", "lost / duplicated (all rounds)", f"{w['lost']} / {w['duplicated']}", n, n),
        ("", "host + worker CPU % (of one core)", f"{w['host_cpu_pct']:.0f}", n, n),
    ]
