"""Console logging before the gRPC stream is up, in the form the host recognises.

Lines are `LanguageWorkerConsoleLog <LEVEL>: <message>`; errors to stderr, the rest to stdout.
"""

from __future__ import annotations

import logging
import os
import sys

PREFIX = "LanguageWorkerConsoleLog"
#: the logger of the worker's own (System) messages
SYSTEM_LOGGER = "quickfunc"


class _ConsoleHandler(logging.Handler):
    def __init__(self, path: str | None) -> None:
        super().__init__()
        self._file = open(path, "a", encoding="utf-8") if path and path not in ("stdout", "stderr", "syslog") else None
        self._forced = {"stdout": sys.stdout, "stderr": sys.stderr}.get(path or "")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{PREFIX} {record.levelname}: {self.format(record)}\n"
            stream = self._file or self._forced or (sys.stderr if record.levelno >= logging.ERROR else sys.stdout)
            stream.write(text)
            stream.flush()
        except Exception:  # pragma: no cover - console must never break the worker
            self.handleError(record)


_handler: _ConsoleHandler | None = None


def setup(level: str, log_to: str | None) -> None:
    """Send the worker's own logs to the console until the stream is up."""
    global _handler
    _handler = _ConsoleHandler(log_to)
    logger = logging.getLogger(SYSTEM_LOGGER)
    logger.addHandler(_handler)
    logger.setLevel(getattr(logging, level, logging.INFO))
    logger.propagate = False


def detach() -> None:
    """Stop console logging; from now on the root logger's RpcLog handler carries everything."""
    logger = logging.getLogger(SYSTEM_LOGGER)
    if _handler is not None:
        logger.removeHandler(_handler)
    logger.propagate = True


def reattach() -> None:
    """Back to the console (the stream is gone)."""
    logger = logging.getLogger(SYSTEM_LOGGER)
    if _handler is not None and _handler not in logger.handlers:
        logger.addHandler(_handler)
    logger.propagate = False


def error(message: str) -> None:
    logging.getLogger(SYSTEM_LOGGER).error(message)


def write_now(level: str, message: str) -> None:
    """One console line straight to stderr's file descriptor, for reports that cannot wait: it
    needs neither the event loop nor a lock that a stuck thread might hold. The host logs a
    stderr line with the prefix as a worker log (as a warning when it contains "warn")."""
    data = f"{PREFIX} {level}: {' '.join(message.splitlines())}\n".encode("utf-8", "backslashreplace")
    try:
        while data:
            data = data[os.write(2, data) :]
    except OSError:  # pragma: no cover - stderr closed: nobody to tell
        pass
