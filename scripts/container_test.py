"""CI's container test: the root Dockerfile built for real (on a stand-in for python:3.11-slim),
run and checked over HTTP, health, an app of its own with a ``worker.py``, host options from the
environment, ``docker stop`` draining a running request, and two containers sharing one Azurite
queue (container_scale.py). Prints what it measured.

    .venv/bin/python scripts/container_test.py [--stop]   (as root: apt, dockerd, debootstrap;
                                                           a Python with the package's [test] extra)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_env import (  # noqa: E402
    Daemon,
    Failed,
    check,
    ensure_packages,
    free_port,
    import_base,
    log,
    remove_root,
    stand_in_tarball,
    start_daemon,
    wait_for,
)
from container_scale import scale_out  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TAG = f"qf{os.getpid()}"
#: the app of its own: a module named worker.py (once the worker's own name), keys required
_OWN_APP = {
    "host.json": '{"version": "2.0"}\n',
    "worker.py": 'def greeting() -> str:\n    return "hello from the app\'s own worker.py"\n',
    "function_app.py": """import azure.functions as func

import worker

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="own")
def own(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(worker.greeting())
""",
    # what must not reach the image
    ".git/HEAD": "ref: refs/heads/main\n",
    ".venv/pyvenv.cfg": "home = /usr/bin\n",
    "tests/test_own.py": "def test_nothing():\n    pass\n",
    "__pycache__/worker.cpython-311.pyc": "",
    ".quickfunc/storage.db": "",
}
_KEY = "container-test-key"


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def timed_build(daemon: Daemon, what: str, *args: str) -> tuple[float, str]:
    start = time.monotonic()
    output = daemon.docker("build", "--network", "host", *args, timeout=900)
    seconds = time.monotonic() - start
    log(f"built {what} in {seconds:.1f}s")
    return seconds, output


def steps_run(output: str) -> list[str]:
    """The build steps that ran (not taken from the cache), from the classic builder's output."""
    ran = []
    for step in re.split(r"\nStep \d+/\d+ : ", output)[1:]:
        if step.startswith(("RUN", "COPY")) and "Using cache" not in step:
            ran.append(step.splitlines()[0])
    return ran


def package_change(daemon: Daemon, work: Path) -> float:
    """A change to the package's code (in a copy of the repository) rebuilds the package's layer
    and the app's, and takes the dependencies from the cache."""
    copy = work / "changed-repo"
    copy.mkdir()
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, copy / name)
    for folder in ("worker", "examples"):
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", ".quickfunc"))
    with open(copy / "worker" / "quickfunc" / "__init__.py", "a", encoding="utf-8") as f:
        f.write("# a change to the package\n")
    seconds, output = timed_build(daemon, "the example app after a change to the package", str(copy))
    ran = steps_run(output)
    check(
        any("pip install --no-deps" in step for step in ran)
        and not any("/opt/quickfunc/requirements.txt" in step for step in ran),
        f"a change to the package rebuilt it but not the dependencies: {ran}",
    )
    return seconds


def build(daemon: Daemon, facts: dict[str, Any], work: Path) -> None:
    tarball, cached = stand_in_tarball()
    start = time.monotonic()
    import_base(daemon, tarball)
    facts["stand-in"] = f"{'cached' if cached else 'debootstrapped'} {tarball.name}"
    log(f"stand-in python:3.11-slim imported in {time.monotonic() - start:.1f}s ({facts['stand-in']})")

    facts["cold build (s)"], _ = timed_build(daemon, "the example app, cold", "-t", f"{TAG}-example", str(REPO))
    seconds, output = timed_build(
        daemon, "another app (APP_DIR)", "--build-arg", "APP_DIR=examples/v1_app", "-t", f"{TAG}-v1", str(REPO)
    )
    facts["app-only build (s)"] = seconds
    ran = steps_run(output)
    check(
        ran and all("APP_DIR" in step or "requirements/" in step for step in ran),
        f"another app ran only its own steps: {ran}",
    )
    facts["package change build (s)"] = package_change(daemon, work)
    _, output = timed_build(daemon, "the host image", "--target", "host", "-t", f"{TAG}-host", str(REPO))
    check(not steps_run(output), "the host image comes entirely from the cache")

    image = json.loads(daemon.docker("image", "inspect", f"{TAG}-example"))[0]
    config = image["Config"]
    facts["image size (MB)"] = round(image["Size"] / 1e6)
    check(config["User"] == "10001:10001", f"runs as a non-root user ({config['User']})")
    check(config["Entrypoint"][0].endswith("tini"), f"tini is process 1 ({config['Entrypoint']})")
    check(config.get("Healthcheck", {}).get("Test"), "the image has a HEALTHCHECK")
    check("8080/tcp" in config["ExposedPorts"], "exposes 8080")
    listing = daemon.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "sh", f"{TAG}-example", "-c",
        "ls -A /home/site/wwwroot; ls -d /src /opt/quickfunc/worker /opt/quickfunc/build 2>&1 || true",
    )  # fmt: skip
    check("function_app.py" in listing and listing.count("No such file") == 3, "no source copy or build leftovers")


def own_app(daemon: Daemon, folder: Path, facts: dict[str, Any]) -> str:
    """The outside app: `quickfunc dockerfile` writes its Dockerfile, built on the host image."""
    for name, text in _OWN_APP.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO / "worker")}
    subprocess.run(
        [sys.executable, "-m", "quickfunc.command", "dockerfile", str(folder), "--host-image", f"{TAG}-host"],
        env=env,
        check=True,
        timeout=60,
    )
    facts["outside app build (s)"], _ = timed_build(
        daemon, "an app outside the repository", "-t", f"{TAG}-own", str(folder)
    )
    listing = daemon.docker("run", "--rm", "--entrypoint", "ls", f"{TAG}-own", "-A", "/home/site/wwwroot")
    store = daemon.docker("run", "--rm", "--entrypoint", "ls", f"{TAG}-own", "-A", "/home/site/wwwroot/.quickfunc")
    check(
        set(listing.split()) == {".quickfunc", "function_app.py", "host.json", "worker.py"} and not store.split(),
        f"only the app's files (no .git, .venv, tests, __pycache__, stored data): {listing.split()}",
    )
    return f"{TAG}-own"


def serve(daemon: Daemon, folder: Path, facts: dict[str, Any]) -> None:
    # the defaults as a user gets them, in a network of the container's own: 0.0.0.0:8080, health
    default = daemon.docker("run", "-d", "--network", "none", f"{TAG}-example").strip()
    # port 80 as the non-root user: Docker lets a container's own network use low ports
    port_80 = daemon.docker("run", "-d", "--network", "none", "-e", "QUICKFUNC_PORT=80", f"{TAG}-example").strip()
    port = free_port()
    start = time.monotonic()
    example = daemon.docker(
        "run", "-d", "--network", "host", "-e", "QUICKFUNC_HOST=127.0.0.1", "-e", f"QUICKFUNC_PORT={port}",
        f"{TAG}-example",
    ).strip()  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for("the first answer", lambda: http(f"{base}/api/hello/Ada")[0] == 200, 90)
    facts["time to first answer (s)"] = round(time.monotonic() - start, 2)
    check(json.loads(http(f"{base}/api/hello/Ada")[1]) == {"message": "Hello, Ada!"}, "GET /api/hello/Ada")
    check(json.loads(http(f"{base}/api/add/2/3")[1])["sum"] == 5, "GET /api/add/2/3")
    status, _ = http(f"{base}/api/orders", json.dumps({"item": "book", "quantity": 2}).encode())
    check(status == 202, "POST /api/orders queues the order")
    wait_for(
        "the queue trigger (embedded store, written as non-root)",
        lambda: "processing order" in logs(daemon, example),
        60,
    )
    check(daemon.docker("exec", example, "id", "-u").strip() == "10001", "the host runs as uid 10001")
    check("tini" in daemon.docker("exec", example, "cat", "/proc/1/cmdline"), "process 1 is tini")

    folder.mkdir()
    own = own_app(daemon, folder, facts)
    own_port = free_port()
    own_id = daemon.docker(
        "run", "-d", "--network", "host", "-e", "QUICKFUNC_HOST=127.0.0.1", "-e", f"QUICKFUNC_PORT={own_port}",
        "-e", "QUICKFUNC_ENABLE_AUTH=true", "-e", f"FUNCTIONS_HOST_KEY={_KEY}", own, "--drain-timeout", "5",
    ).strip()  # fmt: skip
    url = f"http://127.0.0.1:{own_port}/api/own"
    wait_for("the app of its own", lambda: http(url)[0] == 401, 90)
    check(http(url)[0] == 401, "QUICKFUNC_ENABLE_AUTH=true: no key, 401")
    status, body = http(url, headers={"x-functions-key": _KEY})
    check(
        (status, body) == (200, "hello from the app's own worker.py"),
        f"an app with its own worker.py: {status} {body!r}",
    )

    health = wait_for("the HEALTHCHECK", lambda: health_of(daemon, default).replace("starting", ""), 60)
    check(health == "healthy", f"the HEALTHCHECK says {health}")
    check("Listening on http://0.0.0.0:8080" in logs(daemon, default), "by default the banner says 0.0.0.0:8080")
    health = wait_for("the HEALTHCHECK with keys on", lambda: health_of(daemon, own_id).replace("starting", ""), 60)
    check(health == "healthy", f"QUICKFUNC_ENABLE_AUTH=true: the HEALTHCHECK (no key) says {health}")
    health = wait_for("the HEALTHCHECK on port 80", lambda: health_of(daemon, port_80).replace("starting", ""), 60)
    check(health == "healthy", f"QUICKFUNC_PORT=80: the HEALTHCHECK says {health}")

    drain(daemon, example, base, facts)
    for container in (own_id, default, port_80):
        daemon.docker("stop", container, timeout=120)
        code = daemon.docker("inspect", "--format", "{{.State.ExitCode}}", container).strip()
        check(code == "0", f"docker stop of {container[:12]}: exit code {code}")


def drain(daemon: Daemon, container: str, base: str, facts: dict[str, Any]) -> None:
    """docker stop while a 4 s request runs: it is answered, then the container exits 0."""
    answer: list[tuple[int, str]] = []
    request = threading.Thread(target=lambda: answer.append(http(f"{base}/api/wait/4000")))
    request.start()
    time.sleep(1.5)  # the request reaches the worker well within this; the log below proves it did
    start = time.monotonic()
    daemon.docker("stop", "-t", "30", container, timeout=120)
    facts["docker stop with a request in flight (s)"] = round(time.monotonic() - start, 1)
    request.join(timeout=60)
    check("waiting for 1 running invocation" in logs(daemon, container), "the stop found the request running")
    check(answer == [(200, "waited 4000 ms")], f"the in-flight request was answered: {answer}")
    code = daemon.docker("inspect", "--format", "{{.State.ExitCode}}", container).strip()
    check(code == "0", f"the container exited with code {code} after the drain")


def logs(daemon: Daemon, container: str) -> str:
    return daemon.logs(container)


def health_of(daemon: Daemon, container: str) -> str:
    return daemon.docker("inspect", "--format", "{{.State.Health.Status}}", container).strip()


def main(argv: list[str]) -> int:
    kill = "--stop" not in argv  # the scale-out part kills a container (--stop: stops it gracefully)
    began = time.monotonic()
    ensure_packages()
    work = Path(tempfile.mkdtemp(prefix="qf-docker-"))  # short: dockerd's sockets live under it
    facts: dict[str, Any] = {"load average": os.getloadavg()[0]}
    daemon = start_daemon(work)
    try:
        build(daemon, facts, work)
        serve(daemon, work / "own-app", facts)
        scale_out(daemon, f"{TAG}-host", work / "scale-app", facts, kill)
    except Failed as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        daemon.stop()
        remove_root(work)
    facts["total (s)"] = round(time.monotonic() - began, 1)
    log("passed: " + json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in facts.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
