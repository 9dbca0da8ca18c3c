"""The cyclic garbage collector held off while the worker starts and loads the app, then resumed.

Start-up builds tens of thousands of long-lived objects (modules, classes, functions); collecting
while they are being made costs about a tenth of a cold start and frees next to nothing. Once the
functions are loaded, one full collection runs and its survivors are frozen (`gc.freeze`), so
later full collections never walk them again.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

#: after a load, how long to wait for more loads before resuming (seconds)
AFTER_LOAD = 0.1
#: resume this long after the stream starts even if the host never loads anything (seconds)
AT_THE_LATEST = 10.0

_held: tuple[int, ...] | None = None
_timer: asyncio.TimerHandle | None = None


def hold() -> None:
    """Stop automatic collections (threshold 0) until `resume`; explicit `gc.collect()` still works."""
    global _held
    if _held is None:
        _held = gc.get_threshold()
        gc.set_threshold(0, *_held[1:])


def is_held() -> bool:
    return _held is not None


def resume() -> None:
    """Collect once, freeze the survivors and restore the thresholds.

    An app that set its own thresholds while it was imported keeps them.
    """
    global _held, _timer
    if _timer is not None:
        _timer.cancel()
        _timer = None
    held, _held = _held, None
    if held is None:
        return
    if gc.get_threshold()[0] == 0:
        gc.set_threshold(*held)
    gc.collect()
    gc.freeze()


def resume_after(delay: float) -> None:
    """(Re)arm the resume on the running loop: each load pushes it back while loads keep coming."""
    global _timer
    if _held is None:
        return
    import asyncio  # not at the top: this module is imported before anything else

    if _timer is not None:
        _timer.cancel()
    _timer = asyncio.get_running_loop().call_later(delay, resume)
