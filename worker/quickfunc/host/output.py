"""What a person sees in the terminal: the start banner, one line per request, function logs
(coloured by level on a terminal) and worker system lines. Untrusted text (paths, logs, names)
is made printable first: no control character from a request or a function reaches the terminal."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from quickfunc.host.config import DEFAULT_CONSOLE_BACKLOG
from quickfunc.host.console_writer import LineWriter
from quickfunc.host.setting_values import LEVELS

__all__ = ["Console", "FunctionLine", "printable"]

_RESET = "\033[0m"
_COLOURS = {
    "Trace": "\033[2m",
    "Debug": "\033[2m",
    "Information": "",
    "Warning": "\033[33m",
    "Error": "\033[31m",
    "Critical": "\033[1;31m",
}
_GREEN, _CYAN, _BOLD, _DIM = "\033[32m", "\033[36m", "\033[1m", "\033[2m"
#: C0 controls but tab and newline, DEL, C1 controls, and lone surrogates (undecodable bytes)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, newlines: bool = True) -> str:
    """``text`` safe to write to a terminal: control characters (ESC above all) become visible
    escapes such as ``\\x1b``; tabs stay, newlines stay only when ``newlines`` is true."""
    if newlines:
        return _CONTROL.sub(_visible, text)
    return _CONTROL.sub(_visible, text).replace("\n", "\\n")


@dataclass
class FunctionLine:
    """One function of the start banner."""

    name: str
    trigger: str
    detail: str  # URL with methods, schedule, or how to invoke it
    problem: str = ""
    #: bindings the local host cannot serve, one line each
    notes: list[str] = field(default_factory=list)


class Console:
    """Writes whole lines to one stream; colours only when it is a terminal (and allowed).

    Lines are written by a background thread (see console_writer), so a slow terminal never
    stalls requests; call ``close`` before exiting to write what is still queued."""

    def __init__(
        self,
        stream: TextIO | None = None,
        color: bool | None = None,
        backlog: int = DEFAULT_CONSOLE_BACKLOG,
    ) -> None:
        self.stream = stream or sys.stdout
        if color is None:
            isatty = getattr(self.stream, "isatty", None)
            color = bool(isatty and isatty())
        self.color = color
        self._writer = LineWriter(self.stream, backlog, self._dropped_note)
        self._stamp_cache = (0, "")

    # ---- plumbing -----------------------------------------------------------------------------

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def _write(self, text: str) -> None:
        """Queue text that is already printable (and perhaps coloured) for the writer thread."""
        self._writer.write(text)

    def line(self, text: str = "", colour: str = "") -> None:
        """Write ``text`` as whole lines, each made printable and then coloured."""
        self._write("\n".join(self._paint(part, colour) for part in printable(text).split("\n")))

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is still queued (bounded) and stop the writer thread."""
        return self._writer.close(timeout)

    def _dropped_note(self, count: int) -> str:
        return self._paint(
            f"[{self._stamp()}] {count} console line(s) were not shown: the console could not keep up with them",
            _COLOURS["Warning"],
        )

    def _stamp(self) -> str:
        now = int(time.time())
        second, text = self._stamp_cache
        if second != now:
            text = time.strftime("%H:%M:%S", time.localtime(now))
            self._stamp_cache = (now, text)
        return text

    # ---- start and stop -----------------------------------------------------------------------

    def banner(
        self,
        app_dir: str,
        model: str,
        python: str,
        python_version: str,
        pids: list[int],
        functions: list[FunctionLine],
        keys: dict[str, str],
        listening: str,
        storage: Sequence[str] = (),
        none_found: list[str] | None = None,
    ) -> None:
        """The start-up summary; ``none_found`` says what was looked for when there are no functions."""
        self.line(f"quickfunc local host: {app_dir} ({model} app)", _BOLD)
        self.line(f"Python: {python} ({python_version})")
        self.line(f"Workers: {len(pids)} (pid {', '.join(map(str, pids))})")
        for text in storage:
            self.line(printable(text, newlines=False))
        self.line("")
        self.line("Functions:")
        if not functions:
            self.line("  (none found)")
            for text in none_found or []:
                self.line(f"  {printable(text, newlines=False)}", _COLOURS["Warning"])
        names = [printable(f.name, newlines=False) for f in functions]
        width = max((len(name) for name in names), default=0)
        for f, shown in zip(functions, names, strict=True):
            detail = printable(f"{f.trigger}: {f.detail}", newlines=False)
            self._write(f"  {self._paint(shown.ljust(width), _CYAN)}  {detail}")
            if f.problem:
                self.line(f"  {' ' * width}  error: {f.problem}", _COLOURS["Error"])
            for note in f.notes:
                self.line(f"  {' ' * width}  {note}", _COLOURS["Warning"])
        if keys:
            self.line("")
            self.line("Function keys (--enable-auth; send x-functions-key or ?code=):")
            for label, value in keys.items():
                self.line(f"  {label}: {value}")
        self.line("")
        self.line(f"Listening on {listening} (Ctrl-C to stop)", _GREEN)

    def info(self, text: str) -> None:
        self.line(f"[{self._stamp()}] {text}")

    def warning(self, text: str) -> None:
        self.line(f"[{self._stamp()}] {text}", _COLOURS["Warning"])

    def error(self, text: str) -> None:
        self.line(f"[{self._stamp()}] {text}", _COLOURS["Error"])

    # ---- traffic ------------------------------------------------------------------------------

    def request(self, method: str, path: str, status: int, seconds: float, note: str = "", function: str = "") -> None:
        """One line per request, naming the function whose route it matched (``-> name``);
        method, path and note come from the client or the function, so each is printable and
        on this one line."""
        code = _GREEN if status < 400 else (_COLOURS["Warning"] if status < 500 else _COLOURS["Error"])
        status_text = self._paint(str(status), code)
        served = f" -> {self._paint(printable(function, newlines=False), _CYAN)}" if function else ""
        extra = f"  {printable(note, newlines=False)}" if note else ""
        self._write(
            f"[{self._stamp()}] {printable(method, newlines=False)} "
            f"{printable(path, newlines=False)} {status_text} "
            f"{seconds * 1000:.1f}ms{served}{extra}"
        )

    def executed(self, function: str, invocation_id: str, ok: bool, seconds: float, reason: str) -> None:
        result = "Succeeded" if ok else "Failed"
        text = (
            f"Executed '{function}' ({result}, Id={invocation_id}, Duration={seconds * 1000:.0f}ms) {reason}"
        ).rstrip()
        self.line(f"[{self._stamp()}] {text}", "" if ok else _COLOURS["Error"])

    def function_log(self, function: str, invocation_id: str, level: int, message: str) -> None:
        name = LEVELS[level] if 0 <= level < len(LEVELS) else "Information"
        tag = f"[{self._stamp()}] {printable(function, newlines=False)} ({invocation_id[:8]})"
        for i, part in enumerate(message.splitlines() or [""]):
            prefix = tag if i == 0 else " " * len(tag)
            self.line(f"{prefix} {part}", _COLOURS.get(name, ""))

    def output_binding(self, function: str, invocation_id: str, binding_type: str, target: str, value: str) -> None:
        self.line(
            f"[{self._stamp()}] {function} ({invocation_id[:8]}) "
            f"output {binding_type} '{target}': {printable(value, newlines=False)}"
        )

    def failure(self, function: str, invocation_id: str, message: str, stack: str) -> None:
        self.line(
            f"[{self._stamp()}] {function} ({invocation_id[:8]}) failed: {message}",
            _COLOURS["Error"],
        )
        for part in stack.rstrip().splitlines():
            self.line(f"    {part}", _DIM)

    def worker_line(self, worker: str, level: int, message: str) -> None:
        """A worker system log or a console line of a worker process."""
        name = LEVELS[level] if 0 <= level < len(LEVELS) else "Information"
        self.line(f"[{self._stamp()}] [{worker}] {message}", _COLOURS.get(name, ""))
