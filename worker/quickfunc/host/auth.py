"""Function keys (only when --enable-auth): which key a request needs, compared in constant time.

Keys come from the settings (see config.KeySettings) or are generated at start and printed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from quickfunc.host.config import KeySettings

__all__ = ["KeyRing", "ANONYMOUS", "FUNCTION", "ADMIN", "normalise_level", "key_from_request"]

ANONYMOUS, FUNCTION, ADMIN = "anonymous", "function", "admin"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def normalise_level(level: object) -> str:
    """A binding's authLevel (``"FUNCTION"``, ``"function"``, absent, ...) as one of the three.

    Absent means ``function``, as in the Functions host; ``system`` is treated as ``admin``.
    """
    text = str(level or FUNCTION).strip().lower()
    if text == ANONYMOUS:
        return ANONYMOUS
    if text in (ADMIN, "system"):
        return ADMIN
    return FUNCTION


def key_from_request(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a caller presented: ``x-functions-key`` header, else ``?code=``."""
    return headers.get(KEY_HEADER) or query.get(KEY_QUERY) or None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass
class KeyRing:
    """The keys in force: master (admin), host (any function) and per-function keys."""

    master_key: str
    host_key: str
    function_keys: dict[str, str] = field(default_factory=dict)
    #: which keys were generated here (to print them at start)
    generated: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, keys: KeySettings) -> KeyRing:
        generated = []
        master, host = keys.admin_key, keys.host_key
        if not master:
            master = secrets.token_urlsafe(32)
            generated.append("master")
        if not host:
            host = secrets.token_urlsafe(32)
            generated.append("host")
        return cls(master, host, dict(keys.function_keys), generated)

    def allows(self, level: str, function_name: str, presented: str | None) -> bool:
        """True when ``presented`` is good enough for ``level`` on that function.

        Every candidate key is compared (no early exit), each in constant time.
        """
        level = normalise_level(level)
        if level == ANONYMOUS:
            return True
        if not presented:
            return False
        candidates = [self.master_key]
        if level == FUNCTION:
            candidates.append(self.host_key)
            own = self.function_keys.get(function_name.lower())
            if own:
                candidates.append(own)
        ok = False
        for candidate in candidates:
            ok |= _same(presented, candidate)
        return ok
