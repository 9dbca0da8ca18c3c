"""The environment each worker process of the local host starts with: the app settings, this
checkout's source root and the app's ``.python_packages`` on PYTHONPATH, Development mode."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

__all__ = ["app_worker_env"]


def _package_root() -> str:
    """The source root that holds this ``quickfunc`` package, so the workers run the same code."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def app_worker_env(settings: Mapping[str, str], app_dir: str, python: str) -> dict[str, str]:
    """Inherited environment + app settings, plus what the launcher adds (protocol §4).

    process.worker_environment adds FUNCTIONS_WORKER_DIRECTORY, FUNCTIONS_APPLICATION_DIRECTORY,
    AzureWebJobsScriptRoot, FUNCTIONS_WORKER_RUNTIME and PYTHON_THREADPOOL_THREAD_COUNT.
    """
    env = dict(settings)
    paths = [_package_root()]
    packages = os.path.join(app_dir, ".python_packages", "lib", "site-packages")
    if os.path.isdir(packages):
        paths.append(packages)
    paths += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("AZURE_FUNCTIONS_ENVIRONMENT", "Development")
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        env.setdefault("FUNCTIONS_WORKER_RUNTIME_VERSION", f"{sys.version_info[0]}.{sys.version_info[1]}")
    return env
