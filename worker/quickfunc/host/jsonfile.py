"""Read the app's JSON settings files (host.json, local.settings.json) the way the host does.

Comments and trailing commas are tolerated; every error names the file, the line and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SettingsFileError", "JsonFile", "read_json_file", "get_ci", "without_comments"]


class SettingsFileError(ValueError):
    """A settings file that cannot be used: names the file, line and key (when known)."""

    def __init__(self, path: str, problem: str, line: int | None = None, key: str = "") -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = problem
        where = path
        if line is not None:
            where += f", line {line}"
        if key:
            where += f", key '{key}'"
        super().__init__(f"{where}: {problem}")


@dataclass
class JsonFile:
    """A parsed JSON object and where each of its keys is written (for error messages)."""

    path: str
    data: dict[str, Any]
    #: dotted key path (lower-cased) -> 1-based line of the key
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int | None:
        """Line of a dotted key such as ``Values.FOO`` or ``bindings[0].route`` (any case)."""
        return self.key_lines.get(key.lower())

    def error(self, key: str, problem: str) -> SettingsFileError:
        """An error about the value at ``key``, pointing at the line where it is written."""
        return SettingsFileError(self.path, problem, self.line_of(key), key)


def get_ci(obj: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``obj[key]`` with the key matched case-insensitively (the host's configuration rule)."""
    if key in obj:
        return obj[key]
    lowered = key.lower()
    for k, v in obj.items():
        if k.lower() == lowered:
            return v
    return default


def read_json_file(path: str) -> JsonFile:
    """Parse a JSON object file; raise SettingsFileError naming the line and the nearest key."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise SettingsFileError(path, f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SettingsFileError(
            path, f"is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8"
        ) from None
    scan = _Scanner(text)
    scan.run()
    try:
        data = json.loads(scan.cleaned())
    except json.JSONDecodeError as exc:
        key = scan.key_before(exc.pos)
        raise SettingsFileError(path, f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno, key) from None
    if not isinstance(data, dict):
        raise SettingsFileError(path, "must contain a JSON object ({ ... }) at the top level", 1)
    return JsonFile(path, data, scan.key_lines)


def without_comments(text: str) -> str:
    """``text`` with comments and trailing commas blanked out (offsets, lines and columns kept)."""
    scan = _Scanner(text)
    scan.run()
    return scan.cleaned()


class _Scanner:
    """A forgiving pass over JSON text: finds key paths and their lines, blanks comments and
    trailing commas (keeping every offset, so the parser's positions still match the file)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.chars = list(text)
        #: (offset, dotted path) of every key, in file order
        self.keys: list[tuple[int, str]] = []
        self.key_lines: dict[str, int] = {}
        # each frame: [kind ("{" or "["), current key (objects) or index (arrays)]
        self._stack: list[list[Any]] = []

    def cleaned(self) -> str:
        return "".join(self.chars)

    def key_before(self, pos: int) -> str:
        """Dotted path of the last key written before ``pos`` (empty if none)."""
        best = ""
        for offset, path in self.keys:
            if offset >= pos:
                break
            best = path
        return best

    def _path(self) -> str:
        parts = ""
        for kind, current in self._stack:
            if kind == "{":
                if current is None:
                    break
                parts = f"{parts}.{current}" if parts else str(current)
            else:
                parts = f"{parts}[{current}]"
        return parts

    def _blank(self, start: int, end: int) -> None:
        for i in range(start, end):
            if self.chars[i] not in "\r\n":
                self.chars[i] = " "

    def run(self) -> None:
        text, n, i = self.text, len(self.text), 0
        pending_comma = -1
        while i < n:
            c = text[i]
            if c in " \t\r\n":
                i += 1
                continue
            if c == "/" and i + 1 < n and text[i + 1] in "/*":
                end = self._comment_end(i)
                self._blank(i, end)
                i = end
                continue
            if pending_comma >= 0:
                if c in "}]":
                    self._blank(pending_comma, pending_comma + 1)
                pending_comma = -1
            if c == '"':
                end = self._string_end(i)
                self._after_string(i, end)
                i = end
                continue
            if c in "{[":
                self._stack.append([c, None if c == "{" else 0])
            elif c in "}]":
                if self._stack:
                    self._stack.pop()
            elif c == ",":
                pending_comma = i
                if self._stack and self._stack[-1][0] == "[":
                    self._stack[-1][1] += 1
                elif self._stack:
                    self._stack[-1][1] = None
            i += 1

    def _after_string(self, start: int, end: int) -> None:
        j = end
        text = self.text
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        if j < len(text) and text[j] == ":" and self._stack and self._stack[-1][0] == "{":
            try:
                name = json.loads(text[start:end])
            except json.JSONDecodeError:
                name = text[start + 1 : end - 1]
            self._stack[-1][1] = name
            path = self._path()
            self.keys.append((start, path))
            self.key_lines.setdefault(path.lower(), text.count("\n", 0, start) + 1)

    def _string_end(self, i: int) -> int:
        text, n = self.text, len(self.text)
        j = i + 1
        while j < n:
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == '"' or text[j] == "\n":
                return j + 1
            j += 1
        return n

    def _comment_end(self, i: int) -> int:
        text = self.text
        if text[i + 1] == "/":
            end = text.find("\n", i)
            return len(text) if end < 0 else end
        end = text.find("*/", i + 2)
        return len(text) if end < 0 else end + 2
