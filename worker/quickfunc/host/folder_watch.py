"""One ``watchfiles`` watch over a fixed list of folders, each watched on its own (not what is below
it), and the walk that lists an app's folders without the ignored ones."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Callable, Collection
from typing import Any, cast

__all__ = ["MAX_FOLDERS", "TooManyFolders", "app_folders", "FolderWatch"]

#: the most folders one app may have watched (each takes an inotify watch on Linux)
MAX_FOLDERS = 100_000
#: how long a new watch may take to be in place before the caller goes on without waiting
START_TIMEOUT = 10.0
#: how long closing waits for watchfiles' thread to see its stop flag before cancelling it
CLOSE_TIMEOUT = 5.0

Changes = set[tuple[Any, str]]


class TooManyFolders(OSError):
    """The app has more folders than one host watches."""


def app_folders(root: str, ignored: Collection[str], limit: int = MAX_FOLDERS) -> list[str]:
    """``root`` and every folder below it, skipping those named in ``ignored`` and all inside them.

    Links to folders are followed, each folder listed once, by the first path found (a link loop
    ends there); folders that cannot be read, or are gone by the time they are read, are left out."""
    found = [root]
    try:
        first = os.stat(root)
    except OSError:
        return found
    seen = {(first.st_dev, first.st_ino)}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)  # the same walk each time
        except OSError:
            continue
        for entry in entries:
            if entry.name in ignored:
                continue
            try:
                if not entry.is_dir():
                    continue
                info = entry.stat()
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            found.append(entry.path)
            stack.append(entry.path)
            if len(found) > limit:
                raise TooManyFolders(
                    f"{root} has more than {limit} folders to watch for changes; "
                    "move data out of the app folder, or start the host with --no-watch"
                )
    return found


class _StopFlag:
    """What watchfiles asks, from its thread, at each step: should the watch end?

    It ends when the host stops, or some checks after ``retire``: enough for watchfiles to gather
    and return the changes it holds, so that a watch being replaced hands them over."""

    def __init__(self, host_stop: asyncio.Event, on_first_check: Callable[[], None]) -> None:
        self.host_stop = host_stop
        self.on_first_check: Callable[[], None] | None = on_first_check
        self.checks_left: int | None = None

    def is_set(self) -> bool:
        signal = self.on_first_check
        if signal is not None:  # the watch is in place: watchfiles is waiting on it
            self.on_first_check = None
            signal()
        if self.host_stop.is_set():
            return True
        if self.checks_left is None:
            return False
        self.checks_left -= 1
        return self.checks_left < 0

    def retire(self, checks: int) -> None:
        if self.checks_left is None or self.checks_left > checks:
            self.checks_left = checks

    def set(self) -> None:  # awatch calls it when its task is cancelled
        self.checks_left = 0


class FolderWatch:
    """``watchfiles.awatch`` over ``folders`` (not recursive): its batches, one at a time."""

    def __init__(
        self, folders: list[str], watch_filter: Callable[[Any, str], bool], host_stop: asyncio.Event, **options: Any
    ) -> None:
        from watchfiles import awatch

        loop = asyncio.get_running_loop()
        self._in_place = asyncio.Event()
        self._flag = _StopFlag(host_stop, lambda: _call_soon(loop, self._in_place.set))
        self._changes: AsyncGenerator[Changes, None] = awatch(
            *folders,
            watch_filter=watch_filter,
            stop_event=cast(Any, self._flag),
            recursive=False,
            ignore_permission_denied=True,
            **options,
        )
        self._next: asyncio.Task[Changes | None] | None = None
        #: True once its last batch was taken (the host stopped, or it retired)
        self.ended = False

    def next(self) -> asyncio.Task[Changes | None]:
        """The task that gets the next batch (the same until it is taken): None when the watch ends."""
        if self._next is None:
            self._next = asyncio.ensure_future(self._read())
        return self._next

    def take(self) -> Changes | None:
        """The batch of the finished ``next()`` task (its error is raised)."""
        assert self._next is not None and self._next.done()
        task, self._next = self._next, None
        batch = task.result()
        self.ended = batch is None
        return batch

    async def _read(self) -> Changes | None:
        try:
            return await self._changes.__anext__()
        except StopAsyncIteration:
            return None

    async def start(self) -> None:
        """Once the watch is in place: every change from then on is in its batches. Raises what
        setting it up raised (e.g. the system's limit of watches)."""
        task = self.next()
        in_place = asyncio.ensure_future(self._in_place.wait())
        try:
            await asyncio.wait({task, in_place}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            in_place.cancel()
        if task.done() and not task.cancelled() and task.exception() is not None:
            self._next = None
            await self.close()
            raise cast(BaseException, task.exception())

    def retire(self, checks: int) -> None:
        """End after handing over the changes it holds (``checks`` steps of watchfiles at most)."""
        self._flag.retire(checks)
        self.next()

    async def close(self) -> None:
        """End now; the changes it holds are dropped."""
        self._flag.set()
        task, self._next = self._next, None
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task is not None and task.done() and not task.cancelled():
            task.exception()  # seen: closing is not the place to raise it
        if task is None or task.done():
            await self._changes.aclose()
        self.ended = True


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` (from another thread); nothing once the loop is closed."""
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:
        pass
