"""The local host under the hostile soak: start ``python -m quickfunc.host`` on a free port with
its console in a file, stop it, and sample the RSS of the host and of each worker process."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import psutil
from hostile_load import worker_processes
from soak_common import MIB, REPO_ROOT, growth_pct

_LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:(\d+))")


def host_supports(option: str, env: dict[str, str]) -> bool:
    """Whether this checkout's local host accepts a command-line option (from its --help)."""
    done = subprocess.run(
        [sys.executable, "-m", "quickfunc.host", "--help"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return option in done.stdout


class HostProcess:
    """One local host process whose console goes to ``log_path``."""

    def __init__(self, app: str, log_path: str, env: dict[str, str], args: list[str]) -> None:
        self.app, self.log_path, self.env, self.args = app, log_path, env, args
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.port = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float) -> str:
        """Start and wait for its 'Listening on' line; the base URL (RuntimeError if it fails)."""
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "quickfunc.host", self.app, "--port", "0", *self.args],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            match = _LISTENING.search(self.head())
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return self.url
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the local host did not start:\n{self.head()}")

    def head(self, size: int = 64 * 1024) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read(size).decode("utf-8", "replace")
        except OSError:
            return ""

    async def stop(self, timeout: float) -> int | None:
        """SIGTERM (a graceful stop) and its exit code; None if it had to be killed."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.proc.poll() is None and loop.time() < deadline:
            await asyncio.sleep(0.1)
        if self.proc.poll() is None:
            self.kill()
            return None
        return self.proc.returncode

    def kill(self) -> None:
        """Kill the host and whatever workers it left."""
        if self.proc is None:
            return
        children = worker_processes(self.proc.pid) if self.proc.poll() is None else []
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass


@dataclass
class ProcessRss:
    """One worker process's RSS: at its baseline (after its own warm-up) and last seen."""

    pid: int
    first_seen_at: int  # requests answered when the soak first saw it
    baseline_mib: float | None = None
    baseline_at: int | None = None
    last_mib: float = 0.0
    last_at: int = 0
    ended: str = "alive"  # alive at the end / killed by the soak / gone (host recycled it...)
    growth_pct: float | None = None
    judged: bool = False


def _rss_mib(process: psutil.Process) -> float | None:
    """The RSS in MiB; None for a process that is gone or exiting (its RSS reads 0 then)."""
    try:
        rss = process.memory_info().rss
    except psutil.Error:
        return None
    return rss / MIB if rss else None


class RssSampler:
    """Samples every ``interval`` s. The host's baseline is taken once ``host_warmup`` requests
    were answered; each worker's once ``worker_warmup`` were answered since it first appeared."""

    def __init__(
        self,
        host_pid: int,
        answered: Callable[[], int],
        host_warmup: int,
        worker_warmup: int,
        interval: float = 0.5,
    ) -> None:
        self.host = psutil.Process(host_pid)
        self.answered = answered
        self.host_warmup, self.worker_warmup, self.interval = host_warmup, worker_warmup, interval
        self.host_start_mib: float | None = None
        self.host_start_at = 0
        self.host_end_mib: float | None = None
        self.workers: dict[int, ProcessRss] = {}
        #: worker pids that disappeared during the run
        self.vanished: list[int] = []

    def sample(self) -> None:
        done = self.answered()
        if self.host_start_mib is None and done >= self.host_warmup:
            self.host_start_mib, self.host_start_at = _rss_mib(self.host), done
        current = set()
        for process in worker_processes(self.host.pid):
            mib = _rss_mib(process)
            if mib is None:
                continue
            current.add(process.pid)
            record = self.workers.setdefault(process.pid, ProcessRss(process.pid, done))
            if record.baseline_mib is None and done >= record.first_seen_at + self.worker_warmup:
                record.baseline_mib, record.baseline_at = mib, done
            record.last_mib, record.last_at = mib, done
        for record in self.workers.values():
            if record.ended == "alive" and record.pid not in current:
                record.ended = "gone"
                self.vanished.append(record.pid)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except asyncio.TimeoutError:
                pass

    def finish(self, killed: set[int], min_span: int) -> None:
        """The final sample: the host's end figure; each worker's growth, judged when it lived
        ``min_span`` answered requests past its baseline."""
        self.sample()
        self.host_end_mib = _rss_mib(self.host)
        for record in self.workers.values():
            if record.pid in killed:
                record.ended = "killed by the soak"
            if record.baseline_mib is not None and record.baseline_at is not None:
                record.growth_pct = round(growth_pct(record.baseline_mib, record.last_mib), 2)
                record.judged = record.last_at - record.baseline_at >= min_span

    @property
    def host_growth_pct(self) -> float:
        if self.host_start_mib is None or self.host_end_mib is None:
            return float("inf")
        return growth_pct(self.host_start_mib, self.host_end_mib)
