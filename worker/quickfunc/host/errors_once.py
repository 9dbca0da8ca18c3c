"""Load and index errors shown once: while the app starts, the workers' error lines are held;
those the start banner (or the start-up error) already says are dropped, the rest shown once."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["ErrorsOnce"]

#: error lines held at most while the app starts; later ones are shown at once
_MAX_HELD = 200
#: a held line shorter than this is not matched as part of a known error
_MIN_MATCH = 20


class ErrorsOnce:
    """Decides whether a worker's error line is shown: each distinct one once, none that repeats
    a known load or index error (one the banner shows beside its function)."""

    def __init__(self) -> None:
        self.holding = True
        self._held: list[tuple[str, Callable[[], None]]] = []
        self._known: list[str] = []

    def offer(self, text: str, show: Callable[[], None]) -> None:
        """Show ``text`` (by calling ``show``) now, later, or never."""
        if self.holding and len(self._held) < _MAX_HELD:
            self._held.append((text, show))
        elif not self.is_known(text):
            show()

    def is_known(self, text: str) -> bool:
        """``text`` says a known error again (it contains one, or is a good part of one)."""
        text = text.strip()
        return any(known in text or (len(text) >= _MIN_MATCH and text in known) for known in self._known)

    def release(self, known: Iterable[str]) -> None:
        """The app has started (or failed to): ``known`` are the errors shown in their own place;
        held lines that repeat them are dropped, the others shown once each, in order."""
        self._known = list(dict.fromkeys(k.strip() for k in known if k and k.strip()))
        held, self._held = self._held, []
        self.holding = False
        shown: set[str] = set()
        for text, show in held:
            if text in shown or self.is_known(text):
                continue
            shown.add(text)
            show()
