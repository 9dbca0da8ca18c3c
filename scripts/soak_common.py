"""What the soaks (scripts/soak.py, scripts/soak_hostile.py) share: this checkout's paths and
environment, the findings record with its capped problem lists, RSS arithmetic, report output."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS_DIR = os.path.join(REPO_ROOT, "tests", "apps")
MAX_PROBLEMS_KEPT = 20  # example texts kept per kind of problem
MIB = 1 << 20


def repo_env(extra: dict[str, str] | None = None, drop_prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """This environment with this checkout first on PYTHONPATH (child processes import our
    copy), variables starting with ``drop_prefixes`` removed, then ``extra`` applied."""
    env = {k: v for k, v in os.environ.items() if not (drop_prefixes and k.startswith(drop_prefixes))}
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(REPO_ROOT, "worker"), REPO_ROOT, *paths])
    env.update(extra or {})
    return env


def growth_pct(start: float, end: float) -> float:
    """Percent growth from start to end; infinite when there is no start to compare with."""
    return 100.0 * (end / start - 1) if start > 0 else float("inf")


@dataclass(kw_only=True)
class Findings:
    """Base of a soak report: example texts per kind of problem; subclasses define ``ok``."""

    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        raise NotImplementedError

    def note(self, kind: str, text: str) -> None:
        kept = self.problems.setdefault(kind, [])
        if len(kept) < MAX_PROBLEMS_KEPT:
            kept.append(text)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def print_problems(self, name: str) -> None:
        """The example texts, then the verdict line (``<name>: OK`` / ``<name>: FAILED``)."""
        for kind, texts in self.problems.items():
            print(f"  {kind}:")
            for text in texts:
                print(f"    {text}")
        print(f"{name}: OK" if self.ok else f"{name}: FAILED")

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.as_dict(), f, indent=2)
