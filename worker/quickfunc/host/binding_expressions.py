"""Binding expressions in binding properties (a blob path, a queue name): ``%AppSetting%`` first,
then ``{name}``, ``{Query.name}``, ``{rand-guid}`` and ``{DateTime}`` from one invocation's data."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from quickfunc.protos import pb

__all__ = ["ExpressionError", "binding_data", "resolve", "has_expressions"]

_SETTING = re.compile(r"%([^%]+)%")
_NAMED = re.compile(r"\{([^{}]+)\}")
#: the most of a JSON body or message read for its properties
_MAX_JSON = 4 * 1024 * 1024
#: the most names of the binding data an error lists
_SHOWN_NAMES = 12
#: .NET custom date format tokens (the ones paths use) and their strftime forms, longest first
_DATE_TOKENS = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


class ExpressionError(Exception):
    """A name in a binding property that this invocation gives no value for."""

    def __init__(self, name: str, kind: str, known: list[str]) -> None:
        self.name = name
        self.kind = kind  # "binding data" or "app setting"
        self.known = known
        super().__init__(name)

    def describe(self) -> str:
        if self.kind == "app setting":
            return f"the app setting {self.name!r} (in %{self.name}%) is not set"
        shown = self.known[:_SHOWN_NAMES] + (["..."] if len(self.known) > _SHOWN_NAMES else [])
        known = ", ".join(shown) if shown else "none"
        return f"no value for {{{self.name}}} in this invocation (the trigger gives: {known})"


def has_expressions(template: str) -> bool:
    return "{" in template or "%" in template


def _json_object(raw: bytes | bytearray | str) -> dict[str, Any]:
    if not raw or len(raw) > _MAX_JSON:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _metadata_value(value: pb.TypedData) -> Any:
    kind = value.WhichOneof("data")
    if kind == "json":
        try:
            return json.loads(value.json)
        except ValueError:
            return value.json
    if kind in ("string", "int", "double"):
        return getattr(value, kind)
    return None


def binding_data(
    trigger: pb.TypedData | None,
    body: bytes | bytearray | None,
    metadata: Mapping[str, pb.TypedData],
    message_wins: bool = False,
) -> dict[str, Any]:
    """The names an invocation gives binding expressions, keyed in lower case: a JSON body's or
    message's properties, then (HTTP) query parameters but ``code``, then trigger metadata (route
    values, ``Query``, ``Headers``, ``QueueTrigger``, ...); later ones win, except that with
    ``message_wins`` (a queue trigger) the message's properties win over the built-in metadata
    (``{id}`` of ``{"id": 7}`` is 7, not the message id), as in the host."""
    raw: bytes | bytearray | str | None = body
    if raw is None and trigger is not None:
        kind = trigger.WhichOneof("data")
        raw = trigger.json if kind == "json" else trigger.string if kind == "string" else None
    own = {str(key).lower(): value for key, value in _json_object(raw or b"").items()}
    data: dict[str, Any] = dict(own)
    values = {name: _metadata_value(value) for name, value in metadata.items()}
    query = next((v for k, v in values.items() if k.lower() == "query"), None)
    if isinstance(query, dict):
        for key, value in query.items():
            if str(key).lower() != "code":
                data[str(key).lower()] = value
    for name, value in values.items():
        if value is not None:
            data[name.lower()] = value
    if message_wins:
        data.update(own)
    return data


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        wanted = part.strip().lower()
        value = next((v for k, v in value.items() if str(k).lower() == wanted), None)
        if value is None:
            return None
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # as .NET writes a boolean
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _date(moment: datetime, form: str) -> str:
    if not form:
        return moment.strftime("%Y-%m-%dT%H-%M-%SZ")
    out = form
    for token, code in _DATE_TOKENS:
        out = out.replace(token, moment.strftime(code))
    return out


def _system(name: str, form: str) -> str | None:
    lowered = name.lower()
    if lowered == "rand-guid":
        guid = uuid.uuid4()
        return guid.hex if form.upper() == "N" else str(guid)
    if lowered == "datetime":
        return _date(datetime.now(timezone.utc), form)
    return None


def resolve(template: str, data: Mapping[str, Any], settings: Mapping[str, str]) -> str:
    """``template`` with its expressions replaced; ExpressionError names the first missing one."""

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        value = settings.get(name)
        if value is None:
            raise ExpressionError(name, "app setting", [])
        return value

    def named(match: re.Match[str]) -> str:
        name, _, form = match.group(1).partition(":")
        name = name.strip()
        system = _system(name, form.strip())
        if system is not None:
            return system
        value = _lookup(data, name)
        if value is None:
            raise ExpressionError(name, "binding data", sorted(data))
        return _text(value)

    return _NAMED.sub(named, _SETTING.sub(setting, template))
