"""The one error a setting of the local host raises when it cannot be used."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which one and how to fix it."""
