"""What ships for running the worker under the official Functions host: worker.config.json as
the host reads it (protocol §4.1), and the worker.py launcher, which starts a real worker that
answers a host (the fake host here) exactly like ``python -m quickfunc``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import psutil

import quickfunc
from quickfunc.host.process import WorkerCommand
from quickfunc.protos import pb
from tests.helpers import REPO_ROOT, app_path
from tests.integration.fakehost import start_worker

DEPLOY_DIR = os.path.join(REPO_ROOT, "worker", "quickfunc", "deploy", "python")
LAUNCHER = os.path.join(DEPLOY_DIR, "worker.py")


def test_worker_config_has_what_the_host_reads():
    with open(os.path.join(DEPLOY_DIR, "worker.config.json"), encoding="utf-8") as f:
        description = json.load(f)["description"]
    assert description["language"] == "python"
    assert description["extensions"] == [".py"]
    assert description["defaultExecutablePath"] == "python"
    assert description["workerIndexing"] == "true"
    assert os.path.isfile(os.path.join(DEPLOY_DIR, description["defaultWorkerPath"]))
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert running in description["supportedRuntimeVersions"]
    assert description["defaultRuntimeVersion"] in description["supportedRuntimeVersions"]
    assert all(v >= "3.10" for v in description["supportedRuntimeVersions"])


def test_the_launcher_runs_a_real_worker_that_indexes_and_runs_a_v2_app():
    async def scenario() -> None:
        command = WorkerCommand(module=None, script=LAUNCHER)
        async with start_worker(app_path("host_v2"), command=command) as host:
            assert host.init_response is not None
            assert host.init_response.result.status == pb.StatusResult.Success
            assert host.init_response.worker_metadata.runtime_name == "python"
            # the process the host launched runs the worker package itself: no second interpreter
            process = psutil.Process(host.process.pid)
            cmdline = process.cmdline()
            assert cmdline[1] == LAUNCHER and "--functions-worker-id" in cmdline
            assert not process.children()
            assert host.init_response.worker_metadata.worker_version == quickfunc.__version__
            metadata = await host.channel.functions_metadata(host.app_dir, timeout=30)
            assert metadata.result.status == pb.StatusResult.Success
            names = {m.name for m in metadata.function_metadata_results}
            assert {"hello", "forward", "yearly"} <= names
            status = await host.channel.status(timeout=10)
            assert status < 10

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_the_launcher_explains_a_missing_worker_package(tmp_path):
    # -S: no site-packages, so the installed worker cannot be found
    result = subprocess.run(
        [sys.executable, "-S", LAUNCHER, "--host", "127.0.0.1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("LanguageWorkerConsoleLog ERROR: the quickfunc worker is not installed")
