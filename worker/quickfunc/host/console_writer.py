"""Console lines written by a background thread in batches, so a slow terminal never blocks the
event loop; past a bounded backlog lines are dropped and the console is told how many."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["LineWriter", "GATHER_SECONDS"]

#: how long the writer lets lines gather after a quiet spell, so that a burst (a queue drained,
#: requests in a loop) costs one write and one wake-up per batch rather than per line
GATHER_SECONDS = 0.01


def _default_note(count: int) -> str:
    return f"{count} console line(s) were dropped: the console could not keep up"


class LineWriter:
    """Queues whole lines (up to ``max_chars`` characters waiting or being written) for one
    writer thread; when the backlog is full, lines are counted instead, and a note with the
    count is written once there is room again."""

    def __init__(self, stream: TextIO, max_chars: int, dropped_note: Callable[[int], str] = _default_note) -> None:
        self.stream = stream
        self.max_chars = max_chars
        self.dropped_note = dropped_note
        #: every line dropped so far (for status and tests)
        self.total_dropped = 0
        self._pending: list[str] = []
        self._held = 0  # characters queued or being written
        self._dropped = 0  # dropped since the last note
        self._busy = False
        self._waiting = False  # the writer thread sleeps until told there is work
        self._closed = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def write(self, line: str) -> bool:
        """Queue one line (without its newline); False if it was dropped."""
        text = line + "\n"
        with self._lock:
            # once dropping, keep dropping until the note is out, so the note lands in order
            if self._closed or self._dropped or (self._held and self._held + len(text) > self.max_chars):
                self._dropped += 1
                self.total_dropped += 1
                return False
            self._pending.append(text)
            self._held += len(text)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="console-writer", daemon=True)
                self._thread.start()
            elif self._waiting:  # wake it once per batch, not per line
                self._waiting = False
                self._changed.notify_all()
        return True

    @property
    def dropping(self) -> bool:
        """True while lines are being dropped (callers may skip formatting them)."""
        return self._dropped > 0

    def _run(self) -> None:
        while True:
            with self._lock:
                idle = not self._pending
                while not self._pending and not self._closed:
                    self._waiting = True
                    self._changed.wait()
                    self._waiting = False
            if idle and not self._closed:
                time.sleep(GATHER_SECONDS)  # woken by a first line: let the lines after it join
            with self._lock:
                if not self._pending:
                    return
                batch, self._pending = self._pending, []
                self._busy = True
            size = 0
            for text in batch:
                size += len(text)
            try:
                self.stream.write("".join(batch))
                self.stream.flush()
            except (OSError, ValueError):  # a closed terminal must not break the host
                pass
            with self._lock:
                self._busy = False
                self._held -= size
                if self._dropped:
                    note = self.dropped_note(self._dropped) + "\n"
                    self._dropped = 0
                    self._pending.append(note)
                    self._held += len(note)
                self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued line is written (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._busy or self._dropped:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None:
                    return not (self._pending or self._busy or self._dropped)
                self._changed.wait(remaining)
        return True

    def close(self, timeout: float) -> bool:
        """Write what is queued (bounded by ``timeout``), then stop the thread."""
        done = self.flush(timeout)
        with self._lock:
            self._closed = True
            self._waiting = False
            self._changed.notify_all()
        return done
