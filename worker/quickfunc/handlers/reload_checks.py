"""What an environment reload must pass before anything is applied: usable variable names and
values, and an app folder that exists and can be entered."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: how much of a name, value or path a message shows
SHOWN_CHARS = 80
#: how many problems one message lists
LISTED_PROBLEMS = 5


@dataclass(frozen=True)
class Problem:
    """One reason to refuse the reload: the exception type the platform would raise, and why."""

    exc_type: str
    text: str


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` quoted with control characters and NUL bytes escaped, cut to `limit` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def check_variables(variables: Mapping[str, str]) -> list[Problem]:
    """Names and values `os.environ` would refuse, or only partly take."""
    problems = []
    for name, value in variables.items():
        if not name:
            problems.append(Problem("ValueError", "a variable has an empty name"))
        elif "=" in name:
            problems.append(Problem("ValueError", f"the variable name {shown(name)} contains '='"))
        elif "\0" in name:
            problems.append(Problem("ValueError", f"the variable name {shown(name)} contains a NUL byte"))
        elif "\0" in value:
            problems.append(Problem("ValueError", f"the value of {shown(name)} contains a NUL byte"))
        elif not (_encodable(name) and _encodable(value)):
            problems.append(
                Problem(
                    "UnicodeEncodeError",
                    f"the variable {shown(name)} cannot be encoded for the environment",
                )
            )
    return problems


def check_app_folder(path: str) -> list[Problem]:
    """The new app folder must be a folder the worker can list and enter."""
    if "\0" in path:
        return [Problem("ValueError", f"the app folder {shown(path)} contains a NUL byte")]
    if not os.path.exists(path):
        return [Problem("FileNotFoundError", f"the app folder {shown(path)} does not exist")]
    if not os.path.isdir(path):
        return [Problem("NotADirectoryError", f"the app folder {shown(path)} is not a folder")]
    if not os.access(path, os.R_OK | os.X_OK):
        return [
            Problem(
                "PermissionError",
                f"the app folder {shown(path)} cannot be read or entered by this worker",
            )
        ]
    return []


def describe(problems: list[Problem]) -> str:
    """One message for the host: every problem (up to a few), and that nothing changed."""
    listed = "; ".join(p.text for p in problems[:LISTED_PROBLEMS])
    more = len(problems) - LISTED_PROBLEMS
    if more > 0:
        listed += f"; and {more} more problem(s)"
    return (
        f"environment reload refused: {listed}. Nothing was changed: the worker keeps its previous "
        f"environment variables, working directory, sys.path and app folder"
    )


def _encodable(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeError:
        return False
    return True
