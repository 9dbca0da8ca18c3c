"""Launcher the Functions host runs (``defaultWorkerPath`` in worker.config.json): puts the app's
``.python_packages`` on the path and runs the ``quickfunc`` package, in this same process, with the
same arguments."""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys

PREFIX = "LanguageWorkerConsoleLog"


def _app_packages() -> list[str]:
    root = os.environ.get("AzureWebJobsScriptRoot") or os.getcwd()
    packages = os.path.join(root, ".python_packages", "lib", "site-packages")
    return [packages] if os.path.isdir(packages) else []


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    # this file is named worker.py: look for the worker package without finding ourselves
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    paths = _app_packages() + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:0] = paths
    if importlib.util.find_spec("quickfunc") is None:
        sys.stderr.write(
            f"{PREFIX} ERROR: the quickfunc worker is not installed for "
            f"{sys.executable}; run `{sys.executable} -m pip install "
            "quickfunc-worker` (or set defaultExecutablePath to a Python that has "
            "it)\n"
        )
        return 1
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))  # for the app's own children
    # like `-m quickfunc`; a script's folder, not the working directory (the user's app), heads
    # sys.path, so an app with its own worker.py or worker/ folder is not started in our place.
    # In-process rather than exec'ing a new interpreter: that would start Python twice.
    runpy.run_module("quickfunc", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
