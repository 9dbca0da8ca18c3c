"""Entry point: `python -m worker --host ... --port ... --workerId ... --requestId ...`."""
import os
import sys

from .cli import main

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads still running user code must not keep the process alive.
    os._exit(code)
