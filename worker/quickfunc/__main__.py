"""Entry point: `python -m quickfunc --host ... --port ... --workerId ... --requestId ...`."""

import os
import sys

from . import gc_pause, lazy_werkzeug

gc_pause.hold()  # before the imports below: they build most of what start-up allocates
lazy_werkzeug.install()  # before azure.functions is imported

from .cli import main  # noqa: E402

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads still running user code must not keep the process alive.
    os._exit(code)
