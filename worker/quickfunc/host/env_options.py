"""Every option of the local host's command line, also from the environment: ``--drain-timeout``
is ``QUICKFUNC_DRAIN_TIMEOUT``, ``--enable-auth`` is ``QUICKFUNC_ENABLE_AUTH=true`` (for containers,
where the environment is the usual way in). The command line wins over the environment."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

__all__ = ["ENV_PREFIX", "env_name", "env_defaults"]

ENV_PREFIX = "QUICKFUNC_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
#: not from here: --host and --port, whose variables the configuration reads itself (with their
#: own precedence and messages), and the debugger's, whose QUICKFUNC_DEBUG_* the host sets for
#: its workers
_NOT_FROM_ENV = ("host", "port", "debug", "debug_port", "debug_wait")


def env_name(option: str) -> str:
    """``--drain-timeout`` -> ``QUICKFUNC_DRAIN_TIMEOUT``."""
    return ENV_PREFIX + option.lstrip("-").replace("-", "_").upper()


def _flag(action: argparse.Action, name: str, text: str) -> Any:
    """An on/off option: the value it stores when on; when off, the opposite (``--color``), or
    nothing for an option that turns something off (``--no-color=false`` leaves it as it is)."""
    word = text.strip().lower()
    if word in _TRUE:
        return action.const
    if word in _FALSE:
        return None if action.const is False else False
    raise ValueError(f"{name} must be true or false (got {text!r})")


def _value(action: argparse.Action, name: str, text: str) -> Any:
    if action.nargs == 0:
        return _flag(action, name, text)
    if action.nargs in ("+", "*"):
        words = text.replace(",", " ").split()
        return [action.type(w) if callable(action.type) else w for w in words] or None
    try:
        value = action.type(text.strip()) if callable(action.type) else text
    except ValueError:
        kind = getattr(action.type, "__name__", "value")
        raise ValueError(f"{name} must be a {'number' if kind in ('int', 'float') else kind} (got {text!r})") from None
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ValueError(f"{name} must be one of {choices} (got {text!r})")
    return value


def env_defaults(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> dict[str, Any]:
    """{dest: value} for each option set in the environment; ValueError names the variable."""
    found: dict[str, Any] = {}
    for action in parser._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or action.dest in _NOT_FROM_ENV or action.nargs == 0 and action.const is None:
            continue  # positional, read by the configuration, or --help / --version
        for option in longs:
            name = env_name(option)
            text = environ.get(name)
            if text is None or text.strip() == "":
                continue
            value = _value(action, name, text)
            if value is not None:
                found[action.dest] = value
    return found
