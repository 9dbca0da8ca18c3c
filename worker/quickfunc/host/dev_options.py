"""The dev loop's options of the local host (reload on change, debugging): their defaults,
written here once, and their checks."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DevOptions", "check_dev_options"]


@dataclass(frozen=True)
class DevOptions:
    """What the command line asked of the dev loop."""

    #: restart the workers when the app's files change (--no-watch turns it off)
    watch: bool = True


def check_dev_options(options: DevOptions) -> DevOptions:
    """The options as the host will use them; raises ConfigError for one it cannot use."""
    return options
