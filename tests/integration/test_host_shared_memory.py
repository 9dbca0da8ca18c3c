"""Shared-memory transfer through the real local host and worker processes (issue 15): with the
setting on, a blob input of 1 MiB or more reaches the function through a map file and a large
output comes back through one; no map file is left afterwards, on success or failure."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from quickfunc.host.storage.embedded import EmbeddedStorage, store_path
from tests.helpers import REPO_ROOT, app_path, run
from tests.integration.hostproc import LocalHostProcess, host_env, request

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    target = tmp_path_factory.mktemp("shm") / "app"
    shutil.copytree(app_path("host_shared_memory"), target)
    return str(target)


@pytest.fixture(scope="module")
def shm_base(tmp_path_factory):
    """A private base directory (tmp_path is on disk, which works the same; no collisions)."""
    return str(tmp_path_factory.mktemp("shm-base"))


@pytest.fixture(scope="module")
def host(app, shm_base):
    process = LocalHostProcess(app, env={"FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES": shm_base}).start()
    yield process
    process.close()


def _maps(base: str) -> list[str]:
    folder = os.path.join(base, "AzureFunctions")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _put(app: str, path: str, content: bytes) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quickfunc.command", "storage", app, "blob", "put", path, "-"],
        cwd=REPO_ROOT,
        env=host_env(),
        input=content,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()


def _blob(app: str, container: str, name: str) -> bytes | None:
    async def read():
        store = EmbeddedStorage(store_path(app))
        try:
            blob = await store.read_blob(container, name)
            return None if blob is None else blob.data
        finally:
            await store.close()

    return run(read())


def test_a_large_blob_goes_both_ways_through_shared_memory_and_no_file_is_left(app, host, shm_base):
    key = f"big-{uuid.uuid4().hex[:8]}"
    content = os.urandom(3 * MIB)
    _put(app, f"samples/{key}", content)
    reply = request(f"{host.url}/api/Echo?id={key}", timeout=60)
    assert reply.status == 200, reply.text + host.output()
    body = reply.json()
    assert body["size"] == len(content) and body["sha256"] == hashlib.sha256(content).hexdigest()
    assert len(body["maps"]) == 1, "the input was not in a map file while the function ran"
    assert _blob(app, "copies", key) == content
    assert _maps(shm_base) == []


def test_text_travels_as_a_string_map(app, host, shm_base):
    key = f"text-{uuid.uuid4().hex[:8]}"
    text = "ünïcode " * (MIB // 8 + 10)  # over 1 MiB counted as 2 bytes per character
    _put(app, f"samples/{key}", text.encode("utf-8"))
    reply = request(f"{host.url}/api/EchoText?id={key}", timeout=60)
    assert reply.status == 200, reply.text + host.output()
    body = reply.json()
    assert body == {"type": "str", "chars": len(text), "maps": body["maps"]} and len(body["maps"]) == 1
    assert _blob(app, "copies", key) == text.upper().encode("utf-8")
    assert _maps(shm_base) == []


def test_a_small_blob_stays_inline(app, host, shm_base):
    key = f"small-{uuid.uuid4().hex[:8]}"
    _put(app, f"samples/{key}", b"x" * 1000)
    reply = request(f"{host.url}/api/Echo?id={key}")
    assert reply.status == 200, reply.text
    assert reply.json()["maps"] == []
    assert _blob(app, "copies", key) == b"x" * 1000


def test_a_failing_function_leaves_no_map(app, host, shm_base):
    key = f"fail-{uuid.uuid4().hex[:8]}"
    _put(app, f"samples/{key}", os.urandom(2 * MIB))
    reply = request(f"{host.url}/api/Echo?id={key}&fail=1", timeout=60)
    assert reply.status == 500
    assert _blob(app, "copies", key) is None
    assert _maps(shm_base) == []


def test_a_worker_crash_leaves_no_input_map_and_the_next_call_works(app, host, shm_base):
    key = f"crash-{uuid.uuid4().hex[:8]}"
    _put(app, f"samples/{key}", os.urandom(2 * MIB))
    reply = request(f"{host.url}/api/Echo?id={key}&crash=1", timeout=60)
    assert reply.status == 500
    assert _maps(shm_base) == []
    deadline = time.monotonic() + 60  # the host restarts the worker
    while time.monotonic() < deadline:
        reply = request(f"{host.url}/api/Echo?id={key}", timeout=60)
        if reply.status == 200:
            break
        time.sleep(0.2)
    assert reply.status == 200, reply.text
    assert len(reply.json()["maps"]) == 1 and _maps(shm_base) == []


def test_without_the_setting_nothing_uses_shared_memory(app, tmp_path):
    base = str(tmp_path / "base")
    settings = {
        "FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES": base,
        "FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED": "false",
    }
    key = f"off-{uuid.uuid4().hex[:8]}"
    content = os.urandom(2 * MIB)
    _put(app, f"samples/{key}", content)
    with LocalHostProcess(app, env=settings).start() as off:
        reply = request(f"{off.url}/api/Echo?id={key}", timeout=60)
    assert reply.status == 200, reply.text
    assert reply.json()["maps"] == []
    assert _blob(app, "copies", key) == content
    assert not os.path.exists(base) or _maps(base) == []
