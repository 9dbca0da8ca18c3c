"""Debugging the worker: debugpy started in the worker process when the host asks for it
(QUICKFUNC_DEBUG_PORT), and a ``breakpoint()`` that says no debugger is attached instead of failing."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from .console import SYSTEM_LOGGER
from .settings import Settings

__all__ = ["DEBUG_HOST", "EXIT_NO_DEBUGGER", "DebuggerUnavailable", "setup", "start_debugger", "no_debugger_hook"]

#: debugpy listens on loopback only: a debugger runs whatever code it is sent
DEBUG_HOST = "127.0.0.1"
#: exit code of a worker asked to debug that cannot (debugpy missing, port taken)
EXIT_NO_DEBUGGER = 5

log = logging.getLogger(SYSTEM_LOGGER)


class DebuggerUnavailable(Exception):
    """The host asked for a debugger this worker cannot start."""


def setup(env: Mapping[str, str] | None = None) -> None:
    """At start-up, before the app's code runs: the breakpoint() hook, then debugpy if asked
    for (debugpy puts its own hook in place of ours). Raises DebuggerUnavailable."""
    env = os.environ if env is None else env
    if not env.get("PYTHONBREAKPOINT"):  # set: the user's own choice ("0" turns breakpoint() off)
        sys.breakpointhook = no_debugger_hook
    settings = Settings.from_env(env)
    if settings.debug_port is not None:
        start_debugger(settings.debug_port, settings.debug_wait)


def start_debugger(port: int, wait: bool) -> None:
    """Listen for a debugger on 127.0.0.1:port; with ``wait``, return once one has attached."""
    try:
        import debugpy
    except ImportError as exc:
        raise DebuggerUnavailable(
            f"--debug needs debugpy, which {sys.executable} cannot import ({exc}); "
            f"install it with: {sys.executable} -m pip install debugpy"
        ) from None
    try:
        debugpy.listen((DEBUG_HOST, port), in_process_debug_adapter=True)
    except Exception as exc:  # debugpy reports a taken port as RuntimeError, others as OSError
        raise DebuggerUnavailable(
            f"debugpy could not listen on {DEBUG_HOST}:{port} ({exc}); is another program using "
            "that port? Choose another one with --debug-port"
        ) from None
    log.info("debugpy is listening on %s:%d", DEBUG_HOST, port)
    if wait:
        log.info("waiting for a debugger to attach to %s:%d", DEBUG_HOST, port)
        debugpy.wait_for_client()
        log.info("a debugger attached to %s:%d", DEBUG_HOST, port)


def no_debugger_hook(*args: Any, **kwargs: Any) -> None:
    """``sys.breakpointhook`` when no debugger runs: the default would start pdb on the worker's
    stdin, which is no terminal (the function would fail with BdbQuit). Says where, and goes on."""
    frame = sys._getframe(1)
    code = frame.f_code
    log.warning(
        "breakpoint() at %s:%d in %r: no debugger is attached, so the function goes on; to stop "
        "there, start the local host with --debug and attach VS Code",
        _shown_path(code.co_filename),
        frame.f_lineno,
        getattr(code, "co_qualname", code.co_name),
    )


def _shown_path(path: str) -> str:
    """The file relative to the app folder (the working directory) when it is inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith(os.pardir) else relative
