"""print() inside an invocation sent as RpcLogs tagged with it, for a host that asks for that
with the QuickfuncInvocationOutput capability (the local host; the Functions host never does)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from .logs import current_invocation_id
from .protos import pb

__all__ = ["CAPABILITY", "install", "uninstall", "finish", "active"]

#: the host capability that turns this on (value "true")
CAPABILITY = "QuickfuncInvocationOutput"
#: a line not ended after this many characters is sent as it is
_MAX_PARTIAL = 8192
#: longest piece of one line per RpcLog (characters)
_MAX_PIECE = 32768
#: invocations with an unfinished line at most; past it the oldest one is sent
_MAX_OPEN = 256

_USER = pb.RpcLog.RpcLogCategory.Value("User")
_INFORMATION = pb.RpcLog.Level.Value("Information")
_ERROR = pb.RpcLog.Level.Value("Error")

Send = Callable[[pb.StreamingMessage], None]


class _Sending(threading.local):
    busy = False  # this thread is sending a line: what it writes meanwhile goes to the process


_sending = _Sending()


class InvocationOutput:
    """Stands in for sys.stdout or sys.stderr. Each whole line written while an invocation runs
    (its task, its pool thread, threads it starts) becomes one User RpcLog with the invocation's
    id and category ``stdout`` or ``stderr``; writes outside any invocation go to ``stream``.
    Without the capability none is installed: print() goes to the process, as with the official
    worker."""

    def __init__(self, stream: TextIO, category: str, send: Send, request_id: str, max_message_length: int) -> None:
        self.stream = stream
        self.category = category
        self._level = _ERROR if category == "stderr" else _INFORMATION
        self._send = send
        self._request_id = request_id
        self._piece = (
            _MAX_PIECE if max_message_length <= 0 else max(256, min(_MAX_PIECE, (max_message_length - 1024) // 4))
        )
        self._partial: dict[str, str] = {}
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        invocation_id = None if _sending.busy else current_invocation_id()
        if invocation_id is None:
            return self.stream.write(text)
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        partial = self._partial
        whole: list[str] = []
        oldest: tuple[str, str] | None = None
        with self._lock:
            pending = partial.pop(invocation_id, "") + text
            if "\n" in pending:
                whole = pending.split("\n")
                pending = whole.pop()
            if len(pending) >= _MAX_PARTIAL:
                whole.append(pending)
            elif pending:
                partial[invocation_id] = pending  # last written, last in order
                if len(partial) > _MAX_OPEN:  # invocations that ended without a newline
                    first = next(iter(partial))
                    oldest = (first, partial.pop(first))
        for line in whole:
            self._emit(invocation_id, line)
        if oldest is not None:
            self._emit(*oldest)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def finish(self, invocation_id: str) -> None:
        """The invocation is answering: send its unfinished line, if any."""
        with self._lock:
            rest = self._partial.pop(invocation_id, None)
        if rest:
            self._emit(invocation_id, rest)

    def _emit(self, invocation_id: str, line: str) -> None:
        _sending.busy = True
        try:
            for start in range(0, max(len(line), 1), self._piece):
                message = pb.StreamingMessage(request_id=self._request_id)
                log = message.rpc_log
                log.invocation_id = invocation_id
                log.category = self.category
                log.level = self._level
                log.log_category = _USER
                piece = line[start : start + self._piece]
                try:
                    log.message = piece
                except (UnicodeEncodeError, ValueError):  # lone surrogates: escaped
                    log.message = piece.encode("utf-8", "backslashreplace").decode("utf-8")
                self._send(message)
        finally:
            _sending.busy = False

    def __getattr__(self, name: str) -> Any:  # encoding, buffer, fileno, isatty, ...
        return getattr(self.stream, name)


_installed: list[InvocationOutput] = []


def active() -> bool:
    return bool(_installed)


def install(send: Send, request_id: str, max_message_length: int = -1) -> None:
    """Tag print() output of invocations from now on (idempotent)."""
    if _installed:
        return
    out = InvocationOutput(sys.stdout, "stdout", send, request_id, max_message_length)
    err = InvocationOutput(sys.stderr, "stderr", send, request_id, max_message_length)
    sys.stdout, sys.stderr = out, err
    _installed.extend((out, err))


def uninstall() -> None:
    """Back to the process streams (the stream to the host is gone)."""
    for wrapper in _installed:
        for name in ("stdout", "stderr"):
            if getattr(sys, name) is wrapper:
                setattr(sys, name, wrapper.stream)
    _installed.clear()


def finish(invocation_id: str) -> None:
    """Send what the invocation printed without a final newline (before its response)."""
    for wrapper in _installed:
        wrapper.finish(invocation_id)
