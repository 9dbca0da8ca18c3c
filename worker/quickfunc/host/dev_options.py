"""The dev loop's options of the local host (reload on change, debugging): their defaults,
written here once, and their checks."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, replace

from quickfunc.host.config_error import ConfigError

__all__ = [
    "DEFAULT_DEBUG_PORT",
    "DEBUG_HOST",
    "DevOptions",
    "check_dev_options",
    "add_debug_arguments",
    "with_debug_arguments",
]

#: the port VS Code's "Attach to Python Functions" configuration (Azure Functions extension) attaches to
DEFAULT_DEBUG_PORT = 9091
#: debugpy listens on loopback only: a debugger runs any code it is sent
DEBUG_HOST = "127.0.0.1"
#: worker settings while debugging, unless the app sets them: a pause at a breakpoint must not
#: fail a function load or be reported as a blocked event loop; and debugpy's note about frozen
#: modules (they hold no user code) would only clutter the console
_WHILE_DEBUGGING = {
    "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "0",
    "PYTHON_BLOCKED_LOOP_WARNING_SECONDS": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


@dataclass(frozen=True)
class DevOptions:
    """What the command line asked of the dev loop."""

    #: restart the workers when the app's files change (--no-watch turns it off)
    watch: bool = True
    #: --debug: run each worker under debugpy; functionTimeout is lifted
    debug: bool = False
    #: --debug-port: worker 1 listens here, worker N on debug_port + N - 1
    debug_port: int = DEFAULT_DEBUG_PORT
    #: --debug-wait: each worker waits for its debugger before it runs the app's code
    debug_wait: bool = False

    def debug_address(self, worker_index: int) -> tuple[str, int]:
        """Where the debugger of the worker in slot ``worker_index`` (0-based) listens."""
        return DEBUG_HOST, self.debug_port + worker_index

    def worker_env(self, base: Mapping[str, str], worker_index: int) -> Mapping[str, str]:
        """The environment of the worker in slot ``worker_index``: ``base``, plus (when debugging)
        the settings that start debugpy in it and lift the worker's own time limits."""
        if not self.debug:
            return base
        env = {**_WHILE_DEBUGGING, **base, "QUICKFUNC_DEBUG_PORT": str(self.debug_address(worker_index)[1])}
        if self.debug_wait:
            env["QUICKFUNC_DEBUG_WAIT"] = "1"
        return env

    def debug_lines(self, process_count: int) -> list[str]:
        """What the banner says about debugging (nothing when not debugging)."""
        if not self.debug:
            return []
        where = ", ".join(
            f"worker {i + 1} on {host}:{port}" for i in range(process_count) for host, port in [self.debug_address(i)]
        )
        return [
            f'Debugger: debugpy listening, {where} (attach from VS Code: "Attach to Python Functions")',
            "Debugger: functionTimeout is lifted while debugging (no invocation times out)",
        ]

    def waiting_line(self, process_count: int) -> str:
        """Said before the workers start with --debug-wait."""
        host, port = self.debug_address(0)
        ports = f"{port}" if process_count == 1 else f"{port}-{port + process_count - 1} (one per worker)"
        return f"Debugger: waiting for VS Code to attach to {host}:{ports}; the app starts once it has"


def check_dev_options(options: DevOptions, process_count: int = 1) -> DevOptions:
    """The options as the host will use them; raises ConfigError for one it cannot use."""
    if options.debug:
        last = options.debug_port + process_count - 1
        if not 1 <= options.debug_port or last > 65535:
            workers = f" (ports {options.debug_port}-{last} for {process_count} workers)" if process_count > 1 else ""
            raise ConfigError(f"--debug-port must be from 1 to 65535 (got {options.debug_port}{workers})")
    return options


def add_debug_arguments(parser: argparse.ArgumentParser) -> None:
    """--debug, --debug-port and --debug-wait (either of the last two implies --debug)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"run the workers under debugpy on {DEBUG_HOST}:{DEFAULT_DEBUG_PORT} (worker N on port + N - 1) "
        "for VS Code to attach to; functionTimeout is lifted",
    )
    parser.add_argument(
        "--debug-port",
        type=int,
        metavar="PORT",
        help=f"the debugger port of worker 1 (default {DEFAULT_DEBUG_PORT}, the port of VS Code's "
        '"Attach to Python Functions"); implies --debug',
    )
    parser.add_argument(
        "--debug-wait",
        action="store_true",
        help="each worker waits for the debugger to attach before it runs the app's code; implies --debug",
    )


def with_debug_arguments(options: DevOptions, args: argparse.Namespace) -> DevOptions:
    """``options`` with what --debug, --debug-port and --debug-wait said."""
    debug = bool(args.debug or args.debug_wait or args.debug_port is not None)
    port = DEFAULT_DEBUG_PORT if args.debug_port is None else args.debug_port
    return replace(options, debug=debug, debug_port=port, debug_wait=bool(args.debug_wait))
