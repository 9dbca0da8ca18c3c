"""What a person sees in the terminal: the start banner, one line per request, function logs
(coloured by level on a terminal) and worker system lines."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

from quickfunc.host.setting_values import LEVELS

__all__ = ["Console", "FunctionLine"]

_RESET = "\033[0m"
_COLOURS = {"Trace": "\033[2m", "Debug": "\033[2m", "Information": "", "Warning": "\033[33m",
            "Error": "\033[31m", "Critical": "\033[1;31m"}
_GREEN, _CYAN, _BOLD, _DIM = "\033[32m", "\033[36m", "\033[1m", "\033[2m"


@dataclass
class FunctionLine:
    """One function of the start banner."""

    name: str
    trigger: str
    detail: str  # URL with methods, schedule, or how to invoke it
    problem: str = ""


class Console:
    """Writes whole lines to one stream; colours only when it is a terminal (and allowed)."""

    def __init__(self, stream: TextIO | None = None, color: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        if color is None:
            isatty = getattr(self.stream, "isatty", None)
            color = bool(isatty and isatty())
        self.color = color

    # ---- plumbing -----------------------------------------------------------------------------

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def line(self, text: str = "") -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not break the host
            pass

    @staticmethod
    def _stamp() -> str:
        return time.strftime("%H:%M:%S")

    # ---- start and stop -----------------------------------------------------------------------

    def banner(self, app_dir: str, model: str, python: str, python_version: str,
               pids: list[int], functions: list[FunctionLine], keys: dict[str, str],
               listening: str) -> None:
        self.line(self._paint(f"quickfunc local host: {app_dir} ({model} app)", _BOLD))
        self.line(f"Python: {python} ({python_version})")
        self.line(f"Workers: {len(pids)} (pid {', '.join(map(str, pids))})")
        self.line("")
        self.line("Functions:")
        if not functions:
            self.line("  (none found)")
        width = max((len(f.name) for f in functions), default=0)
        for f in functions:
            name = self._paint(f.name.ljust(width), _CYAN)
            self.line(f"  {name}  {f.trigger}: {f.detail}")
            if f.problem:
                self.line(self._paint(f"  {' ' * width}  error: {f.problem}", _COLOURS["Error"]))
        if keys:
            self.line("")
            self.line("Function keys (--enable-auth; send x-functions-key or ?code=):")
            for label, value in keys.items():
                self.line(f"  {label}: {value}")
        self.line("")
        self.line(self._paint(f"Listening on {listening} (Ctrl-C to stop)", _GREEN))

    def info(self, text: str) -> None:
        self.line(f"[{self._stamp()}] {text}")

    def warning(self, text: str) -> None:
        self.line(self._paint(f"[{self._stamp()}] {text}", _COLOURS["Warning"]))

    def error(self, text: str) -> None:
        self.line(self._paint(f"[{self._stamp()}] {text}", _COLOURS["Error"]))

    # ---- traffic ------------------------------------------------------------------------------

    def request(self, method: str, path: str, status: int, seconds: float,
                note: str = "") -> None:
        code = _GREEN if status < 400 else (_COLOURS["Warning"] if status < 500
                                            else _COLOURS["Error"])
        status_text = self._paint(str(status), code)
        extra = f"  {note}" if note else ""
        self.line(f"[{self._stamp()}] {method} {path} {status_text} {seconds * 1000:.1f}ms{extra}")

    def executed(self, function: str, invocation_id: str, ok: bool, seconds: float,
                 reason: str) -> None:
        result = "Succeeded" if ok else "Failed"
        text = (f"Executed '{function}' ({result}, Id={invocation_id}, "
                f"Duration={seconds * 1000:.0f}ms) {reason}").rstrip()
        self.line(self._paint(f"[{self._stamp()}] {text}",
                              "" if ok else _COLOURS["Error"]))

    def function_log(self, function: str, invocation_id: str, level: int, message: str) -> None:
        name = LEVELS[level] if 0 <= level < len(LEVELS) else "Information"
        tag = f"[{self._stamp()}] {function} ({invocation_id[:8]})"
        for i, part in enumerate(message.splitlines() or [""]):
            prefix = tag if i == 0 else " " * len(tag)
            self.line(self._paint(f"{prefix} {part}", _COLOURS.get(name, "")))

    def output_binding(self, function: str, invocation_id: str, binding_type: str,
                       target: str, value: str) -> None:
        self.line(f"[{self._stamp()}] {function} ({invocation_id[:8]}) "
                  f"output {binding_type} '{target}': {value}")

    def failure(self, function: str, invocation_id: str, message: str, stack: str) -> None:
        self.line(self._paint(f"[{self._stamp()}] {function} ({invocation_id[:8]}) failed: "
                              f"{message}", _COLOURS["Error"]))
        for part in stack.rstrip().splitlines():
            self.line(self._paint(f"    {part}", _DIM))

    def worker_line(self, worker: str, level: int, message: str) -> None:
        """A worker system log or a console line of a worker process."""
        name = LEVELS[level] if 0 <= level < len(LEVELS) else "Information"
        self.line(self._paint(f"[{self._stamp()}] [{worker}] {message}",
                              _COLOURS.get(name, "")))
