"""Test helper: a real Azurite (the Azure Storage emulator, from npm) on free loopback ports.
It is found through $QUICKFUNC_AZURITE, .ci/node_modules (what .ci/run installs) or PATH, and
installed there from npm when it is nowhere; when that fails the tests that need it fail, never skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

from tests.helpers import REPO_ROOT

ENV_AZURITE = "QUICKFUNC_AZURITE"
INSTALL_HINT = "npm install --prefix .ci azurite@3 --no-audit --no-fund"
START_TIMEOUT = 30.0
INSTALL_TIMEOUT = 300.0


def find_azurite() -> str:
    """The azurite executable, or an AssertionError saying how to install it."""
    candidates = [os.environ.get(ENV_AZURITE, ""), os.path.join(REPO_ROOT, ".ci", "node_modules", ".bin", "azurite")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("azurite")
    if found:
        return found
    return _install_azurite(candidates[1])


def _install_azurite(expected: str) -> str:
    """Install Azurite from the npm registry into .ci/node_modules (what .ci/run does), so the
    README's test command needs nothing more; an AssertionError saying why when that fails."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssertionError(
            f"Azurite is not installed and npm is not on PATH: install Node.js, then run `{INSTALL_HINT}`"
        )
    try:
        done = subprocess.run(
            [npm, *INSTALL_HINT.split()[1:], "--silent"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"installing Azurite took over {INSTALL_TIMEOUT:g} s: run `{INSTALL_HINT}`") from None
    if done.returncode != 0 or not os.access(expected, os.X_OK):
        raise AssertionError(f"`{INSTALL_HINT}` failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return expected


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Azurite:
    """A running Azurite: its ports, connection string and process."""

    proc: subprocess.Popen
    blob_port: int
    queue_port: int

    @property
    def connection_string(self) -> str:
        from quickfunc.host.storage.connection_string import azurite_connection_string

        return azurite_connection_string("127.0.0.1", self.blob_port, self.queue_port)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_azurite(location: str) -> Azurite:
    """Start Azurite's blob and queue services with their data in ``location``; wait until both
    accept connections."""
    exe = find_azurite()
    log_path = os.path.join(location, "azurite.err")
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed here after the start
    blob_port, queue_port, table_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(blob_port),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(queue_port),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(table_port),
            "--location",
            location,
            "--skipApiVersionCheck",
            "--silent",
        ],  # fmt: skip
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    log.close()
    azurite = Azurite(proc, blob_port, queue_port)
    deadline = time.monotonic() + START_TIMEOUT
    while not (answers(blob_port) and answers(queue_port)):
        if proc.poll() is not None or time.monotonic() > deadline:
            azurite.stop()
            with open(log_path, encoding="utf-8", errors="replace") as f:
                err = f.read()
            raise AssertionError(f"Azurite ({exe}) did not start: {err[-2000:]}")
        time.sleep(0.1)
    return azurite
