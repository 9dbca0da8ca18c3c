"""What an admin invoke builds from: the function's trigger (cardinality, dataType, settings), the
``input`` and the ``metadata`` overrides, and the checks that turn bad ones into clear errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from quickfunc.host.catalog import Binding, FunctionSpec
from quickfunc.host.invocations import InputError

from .wire_values import Wire

__all__ = ["Shape", "Fields", "body_text", "now"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def body_text(item: Any) -> str:
    """A message body from one input item: text as given, anything else as its JSON."""
    return item if isinstance(item, str) else json.dumps(item)


@dataclass
class Shape:
    """One admin invoke of one function: its trigger and what the request carried."""

    spec: FunctionSpec
    trigger: Binding
    value: Any
    overrides: dict[str, Any]
    wire: Wire = field(default_factory=Wire)
    settings: Mapping[str, str] = field(default_factory=dict)
    #: the example body for this function's trigger, shown in every error
    example: str = ""

    @property
    def many(self) -> bool:
        return str(self.trigger.get("cardinality") or "").lower() == "many"

    @property
    def binary(self) -> bool:
        return str(self.trigger.get("dataType") or "").lower() == "binary"

    @property
    def kind(self) -> str:
        """The trigger as named in messages: 'serviceBusTrigger (cardinality many)'."""
        return self.trigger.type + (" (cardinality many)" if self.many else "")

    def fail(self, why: str) -> InputError:
        text = f"function {self.spec.name} has a {self.kind}: {why}."
        if self.example:
            text += f" Example body: {self.example}"
        return InputError(text)

    def setting(self, key: str, default: str = "") -> str:
        """A trigger property with %AppSetting% references resolved (unresolved ones kept)."""
        raw = str(self.trigger.get(key) or default)
        if len(raw) > 2 and raw.startswith("%") and raw.endswith("%"):
            return self.settings.get(raw[1:-1], raw)
        return raw

    def items(self) -> list[Any]:
        """The input as a list of messages: the list for cardinality many, else one item."""
        if not self.many:
            return [self.value]
        if not isinstance(self.value, list) or not self.value:
            raise self.fail(f"its input must be a non-empty JSON list of messages, not {_what(self.value)}")
        return list(self.value)


def _what(value: Any) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return {str: "a string", dict: "an object", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "null"
    )


@dataclass(frozen=True)
class Fields:
    """The per-message fields an extension sends, each with its kind ('text', 'int', 'time',
    'object'), and other names for the same field (``Label`` for ``Subject``)."""

    kinds: Mapping[str, str]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def _canonical(self, name: str) -> str | None:
        lowered = name.lower()
        for known in self.kinds:
            if known.lower() == lowered:
                return known
        for alias, known in self.aliases.items():
            if alias.lower() == lowered:
                return known
        return None

    def apply(self, shape: Shape, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Write the overrides naming a field into the records (``XArray`` per message for a
        batch, ``X`` for every message); return the other overrides, to be sent as given."""
        rest: dict[str, Any] = {}
        for name, value in shape.overrides.items():
            known = self._canonical(name)
            if known is not None:
                for record in records:
                    record[known] = self._coerce(shape, name, known, value)
                continue
            base = name[:-5] if shape.many and name.lower().endswith("array") else ""
            known = self._canonical(base) if base else None
            if known is None:
                rest[name] = value
                continue
            if not isinstance(value, list) or len(value) != len(records):
                raise shape.fail(f'metadata "{name}" must be a list with one value per message ({len(records)})')
            for record, item in zip(records, value, strict=True):
                record[known] = self._coerce(shape, name, known, item)
        return rest

    def _coerce(self, shape: Shape, name: str, known: str, value: Any) -> Any:
        kind = self.kinds[known]
        if value is None:
            return None
        if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            raise shape.fail(f'metadata "{name}" must be a whole number, not {_what(value)}')
        if kind == "object" and not isinstance(value, dict):
            raise shape.fail(f'metadata "{name}" must be a JSON object, not {_what(value)}')
        if kind == "text" and not isinstance(value, str):
            return body_text(value)
        if kind == "time":
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                raise shape.fail(f'metadata "{name}" must be an ISO 8601 time like 2024-05-01T12:00:00Z') from None
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return value
