"""Test helpers: run ``python -m quickfunc.host`` as a subprocess on a free port and talk real HTTP
to it (127.0.0.1 only). Every wait is bounded."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil

from tests.helpers import REPO_ROOT, checkout_first

_LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:(\d+))")


def host_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This checkout importable, no colours, no inherited worker settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNCTIONS_", "QUICKFUNC_"))}
    env["PYTHONPATH"] = checkout_first(env.get("PYTHONPATH", ""))
    env["NO_COLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 20.0,
) -> Reply:
    """One HTTP request on a fresh connection."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname, f"no host in {url!r}"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@dataclass
class LocalHostProcess:
    """A running local host: its URL, its console lines, and how to stop it."""

    app: str
    args: list[str] = field(default_factory=list)
    env: Mapping[str, str] | None = None
    start_timeout: float = 60.0
    url: str = ""
    lines: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self._eof = False
        self._reading = threading.Event()  # cleared: the console is "stuck" (nobody reads it)
        self._reading.set()
        self._lock = threading.Lock()
        self._new_line = threading.Condition(self._lock)

    def start(self) -> LocalHostProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quickfunc.host", self.app, "--port", "0", *self.args],
            cwd=REPO_ROOT,
            env=host_env(self.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )  # its own process group, like a shell job
        threading.Thread(target=self._pump, daemon=True).start()
        line = self.wait_for_line(_LISTENING, self.start_timeout)
        match = _LISTENING.search(line or "")
        if match is None:
            self.close()
            raise AssertionError("the local host did not start:\n" + self.output())
        self.url = match.group(1)
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()
            self._reading.wait()
        with self._lock:
            self._eof = True
            self._new_line.notify_all()

    def pause_console(self) -> None:
        """Stop reading the host's output, like a terminal that cannot keep up: once the pipe
        is full, the host's writes to it block."""
        self._reading.clear()

    def resume_console(self) -> None:
        self._reading.set()

    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for_line(self, pattern: str | re.Pattern[str], timeout: float = 10.0, start: int = 0) -> str | None:
        """The first console line from index ``start`` matching ``pattern`` (None on timeout)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for line in self.lines[start:]:
                    if regex.search(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof:
                    return None
                self._new_line.wait(min(remaining, 0.2))

    def count(self, pattern: str) -> int:
        regex = re.compile(pattern)
        with self._lock:
            return sum(1 for line in self.lines if regex.search(line))

    def get(self, path: str, **kw: Any) -> Reply:
        return request(self.url + path, "GET", **kw)

    def post(self, path: str, body: bytes | str = b"", **kw: Any) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        return request(self.url + path, "POST", data, **kw)

    def worker_pids(self) -> list[int]:
        return list(self.get("/admin/host/status").json()["workers"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send a signal and wait for the host to exit; return its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def press_ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the host's whole process group."""
        assert self.proc is not None
        os.killpg(os.getpgid(self.proc.pid), signal.SIGINT)

    def close(self) -> None:
        """Stop the host (and, should it have left any, its worker processes)."""
        if self.proc is None:
            return
        self.resume_console()
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            children = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for child in children:
            try:
                child.wait(5)
            except psutil.TimeoutExpired:
                child.kill()
            except psutil.Error:
                pass

    def __enter__(self) -> LocalHostProcess:
        # ``with LocalHostProcess(...).start() as host`` is started already: a second start()
        # would leave the first host running, unowned, after the test
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def run_host_command(
    app: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess:
    """Run the host to completion (for configuration errors, which stop it at once)."""
    return subprocess.run(
        [sys.executable, "-m", "quickfunc.host", app, "--port", "0", *args],
        cwd=REPO_ROOT,
        env=host_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
