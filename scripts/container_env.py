"""The container test's machinery: Debian's docker.io and debootstrap, a private Docker daemon
(its own data under a temporary folder, stopped by its process id), and the stand-in for
python:3.11-slim made from Debian bookworm's packages, since no image registry is reachable here."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BASE_IMAGE",
    "Daemon",
    "Failed",
    "check",
    "ensure_packages",
    "free_port",
    "import_base",
    "log",
    "remove_root",
    "stand_in_tarball",
    "start_daemon",
    "wait_for",
]

#: the Dockerfile's FROM, which the stand-in is tagged as
BASE_IMAGE = "python:3.11-slim"
SUITE = "bookworm"
MIRROR = os.environ.get("QUICKFUNC_DEBIAN_MIRROR", "http://deb.debian.org/debian")
#: what python:3.11-slim offers the Dockerfile: Python 3.11 as `python`, venv with pip, CA certificates
PACKAGES = ("python3", "python3-venv", "ca-certificates")
#: the certificates of this machine's network, which pip inside a build needs to reach the index
LOCAL_CERTS = "/usr/local/share/ca-certificates"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quickfunc" / "container"
#: like the Debian slim images: no documentation, manuals or translations; apt keeps no caches
_SLIM_DPKG = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""
_APT_CLEAN = """DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
"""
_CHANGES = (
    "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


def log(text: str) -> None:
    print(f"[container {time.strftime('%H:%M:%S')}] {text}", flush=True)


class Failed(AssertionError):
    pass


def check(condition: object, what: str) -> None:
    if not condition:
        raise Failed(what)
    log(f"ok: {what}")


def wait_for(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    """Poll ``probe`` (every 0.2 s, at most ``timeout`` s) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"{what}: not within {timeout:g}s")
        time.sleep(0.2)


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 600) -> str:
    """Run a command; its output, or RuntimeError with the end of what it said."""
    result = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        said = (result.stdout + result.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(args[:4])} ... exited with {result.returncode}:\n{said}")
    return result.stdout


def ensure_packages() -> None:
    """docker.io (dockerd, containerd, runc, the client) and debootstrap, from Debian, if missing."""
    missing = [p for p, tool in (("docker.io", "dockerd"), ("debootstrap", "debootstrap")) if not shutil.which(tool)]
    if missing:
        log(f"installing {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        try:
            run(install, env=env, timeout=900)
        except RuntimeError:  # a fresh machine without package lists
            run(["apt-get", "update"], env=env, timeout=900)
            run(install, env=env, timeout=900)


@dataclass
class Daemon:
    """A dockerd of our own: its socket, its folder, its process."""

    root: Path
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / "dockerd.log"

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def env(self) -> dict[str, str]:
        """The environment for `docker` commands: this daemon, the classic builder (no buildx)."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "0"}

    def docker(self, *args: str, timeout: float = 600) -> str:
        return run(["docker", *args], env=self.env, timeout=timeout)

    def logs(self, container: str) -> str:
        """What a container wrote (stdout and stderr together)."""
        result = subprocess.run(["docker", "logs", container], env=self.env, capture_output=True, text=True, timeout=60)
        return result.stdout + result.stderr

    def stop(self) -> None:
        """SIGTERM to our dockerd (it stops its containers and its containerd), then wait."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log(f"dockerd (pid {process.pid}) stopped")


def remove_root(root: Path) -> None:
    """Delete a stopped daemon's folder, after unmounting what it left mounted there (dockerd
    keeps the bind mount of its network namespace, exec/netns/default)."""
    with open("/proc/mounts", encoding="utf-8") as f:
        points = [line.split()[1] for line in f if line.split()[1].startswith(f"{root}/")]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)


def start_daemon(root: Path, timeout: float = 90) -> Daemon:
    """Start dockerd with its data under ``root``: no iptables and no bridge (containers use the
    host's network or none), listening on a socket of its own."""
    daemon = Daemon(root)
    args = [
        "dockerd",
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
        f"--data-root={root / 'data'}",
        f"--exec-root={root / 'exec'}",
        f"--pidfile={root / 'dockerd.pid'}",
        f"--host=unix://{daemon.socket}",
    ]
    with open(daemon.log_path, "wb") as out:
        daemon.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            raise RuntimeError(f"dockerd exited ({daemon.process.returncode}): {daemon.log_path.read_text()[-2000:]}")
        probe = subprocess.run(["docker", "version"], env=daemon.env, capture_output=True, timeout=30)
        if probe.returncode == 0:
            log(f"dockerd (pid {daemon.process.pid}) answers on {daemon.socket}")
            return daemon
        time.sleep(0.5)
    daemon.stop()
    raise RuntimeError(f"dockerd did not answer within {timeout:g}s; see {daemon.log_path}")


def _recipe() -> str:
    """What the stand-in is made of (its cache file changes when this does)."""
    certs = b"".join(Path(p).read_bytes() for p in sorted(glob.glob(f"{LOCAL_CERTS}/*.crt")))
    text = "\n".join([SUITE, MIRROR, *PACKAGES, _SLIM_DPKG, _APT_CLEAN, *_CHANGES])
    return hashlib.sha256(text.encode() + certs).hexdigest()[:16]


def stand_in_tarball(cache: Path = CACHE) -> tuple[Path, bool]:
    """(the stand-in's root file system as a tarball, whether it came from the cache). Made with
    `debootstrap --variant=minbase` the first time, then kept in ``cache``."""
    tarball = cache / f"python-3.11-slim-{SUITE}-{_recipe()}.tar"
    if tarball.exists():
        return tarball, True
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quickfunc-rootfs-") as work:
        root = Path(work) / "rootfs"
        log(f"debootstrap {SUITE} (minbase + {', '.join(PACKAGES)}) from {MIRROR}")
        run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root), MIRROR],
            timeout=900,
        )
        _make_slim(root)
        partial = tarball.with_suffix(".partial")
        run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], timeout=300)
        partial.rename(tarball)
    for old in cache.glob("python-3.11-slim-*.tar"):
        if old != tarball:
            old.unlink()
    return tarball, False


def _make_slim(root: Path) -> None:
    """Trim the tree like the slim images, add this machine's CA certificates and `python`."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"):
        for path in glob.glob(str(root / pattern)):
            if os.path.isfile(path):
                os.unlink(path)
    for folder in ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "etc/dpkg/dpkg.cfg.d/docker-slim").write_text(_SLIM_DPKG)
    (root / "etc/apt/apt.conf.d/docker-clean").write_text(_APT_CLEAN)
    for cert in glob.glob(f"{LOCAL_CERTS}/*.crt"):
        shutil.copy(cert, root / "usr/local/share/ca-certificates")
    run(["chroot", str(root), "update-ca-certificates"], timeout=120)
    python = root / "usr/local/bin/python"
    python.unlink(missing_ok=True)
    python.symlink_to("/usr/bin/python3")


def import_base(daemon: Daemon, tarball: Path, tag: str = BASE_IMAGE) -> None:
    """Load the stand-in into the daemon under the Dockerfile's FROM."""
    changes = [arg for change in _CHANGES for arg in ("--change", change)]
    with open(tarball, "rb") as data:
        subprocess.run(
            ["docker", "import", *changes, "-", tag],
            stdin=data,
            env=daemon.env,
            check=True,
            capture_output=True,
            timeout=300,
        )


def main(argv: Sequence[str]) -> int:
    """``container_env.py stand-in``: install the tools and make (or find) the stand-in's tarball,
    which needs no daemon; .ci/run does it in the background while the test suite runs."""
    if list(argv) != ["stand-in"]:
        print("usage: container_env.py stand-in", file=sys.stderr)
        return 2
    ensure_packages()
    tarball, cached = stand_in_tarball()
    log(f"stand-in {'found' if cached else 'made'}: {tarball}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
