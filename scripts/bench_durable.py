"""Durable Functions on the local host (issue 17): a fan-out of 1,000 activities (activity
invocations per second) and 200 one-activity orchestrations started at once (orchestrations per
second), through the host's HTTP API. Usage: python scripts/bench_durable.py [--fan-out N] [--small N]"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_apps", "durable")
API = "/runtime/webhooks/durabletask/"
TIMEOUT = 600.0


def call(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_all(base: str, ids: list[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    left = set(ids)
    while left and time.monotonic() < deadline:
        done = call(f"{base}{API}instances/?runtimeStatus=Completed,Failed,Terminated")[1]
        left -= {d["instanceId"] for d in done}
        time.sleep(0.05)
    if left:
        raise SystemExit(f"{len(left)} instance(s) did not finish in {TIMEOUT:g}s")


def start_host(app: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHON_SCRIPT_FILE_NAME": "durable_app.py", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "quickfunc.host", app, "--port", "0", "--log-level", "Warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        match = re.search(r"Listening on (http://\S+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc, match.group(1)
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("the local host did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fan-out", type=int, default=1000)
    parser.add_argument("--small", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-durable-")
    app = os.path.join(folder, "app")
    shutil.copytree(APP, app)
    proc, base = start_host(app)
    try:
        began = time.perf_counter()
        status, links = call(f"{base}{API}orchestrators/fan_out", "POST", str(args.fan_out).encode())
        assert status == 202, (status, links)
        wait_all(base, [links["id"]])
        seconds = time.perf_counter() - began
        output = call(f"{base}{API}instances/{links['id']}")[1]["output"]
        assert output == sum(i * i for i in range(args.fan_out)), output
        print(f"fan-out of {args.fan_out} activities: {seconds:.2f} s, {args.fan_out / seconds:.0f} activities/s")
        began = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            replies = list(
                pool.map(
                    lambda i: call(f"{base}{API}orchestrators/one_step", "POST", str(i).encode()), range(args.small)
                )
            )
        wait_all(base, [links["id"] for _, links in replies])
        seconds = time.perf_counter() - began
        print(f"{args.small} one-activity orchestrations: {seconds:.2f} s, {args.small / seconds:.0f} orchestrations/s")
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
