"""Reload on change: when the app's code or settings files change, start new workers with the new
code and, once they have loaded it, hand them the app; broken new code leaves the old running."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable

from quickfunc.host.bringup import DiedStarting, StartupError
from quickfunc.host.catalog import Catalog
from quickfunc.host.config import ConfigError, HostConfig, HostOptions, SettingsFileError, load_config
from quickfunc.host.output import Console
from quickfunc.host.pool import WorkerPool
from quickfunc.host.spare import Spare
from quickfunc.host.watch import SETTINGS_FILES, app_changes
from quickfunc.host.worker_stream import WorkerGone

__all__ = ["Reloader", "describe_changes", "listener_notes", "keep_listener"]

#: what starting the new workers can raise for a reason of the app's (its code, its settings)
_FAILURES = (StartupError, DiedStarting, WorkerGone, asyncio.TimeoutError, OSError)
#: settings the HTTP listener took when it opened: a change needs the host to be restarted
_LISTENER_FIELDS = (
    "http_host",
    "http_port",
    "max_connections",
    "header_timeout",
    "idle_timeout",
    "max_url_size",
    "max_header_size",
    "max_headers",
)
_SHOWN = 5  # changed files named in the line; more are counted

#: starts serving a loaded app: (its configuration, its started pool, its functions)
Switch = Callable[[HostConfig, WorkerPool, Catalog], Awaitable[None]]


def describe_changes(paths: list[str]) -> str:
    """``function_app.py changed`` / ``a.py, b.py and 4 more changed``."""
    shown = ", ".join(paths[:_SHOWN])
    more = len(paths) - _SHOWN
    return f"{shown} and {more} more changed" if more > 0 else f"{shown} changed"


def listener_notes(old: HostConfig, new: HostConfig) -> list[str]:
    """What the settings files changed that only a restart of the host applies."""
    notes = []
    if (new.http_host, new.http_port) != (old.http_host, old.http_port):
        notes.append(
            f"the HTTP address is now {new.http_host}:{new.http_port} in the settings, but the host keeps "
            f"listening on {old.http_host}:{old.http_port}: stop and start it to move"
        )
    return notes


def keep_listener(old: HostConfig, new: HostConfig) -> HostConfig:
    """The new configuration with the running listener's own settings, which it keeps."""
    return dataclasses.replace(new, **{name: getattr(old, name) for name in _LISTENER_FIELDS})


class Reloader:
    """Watches the app folder and reloads the app, one change batch at a time."""

    def __init__(
        self,
        config: HostConfig,
        options: HostOptions | None,
        console: Console,
        new_pool: Callable[[HostConfig], WorkerPool],
        switch: Switch,
        hold: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self.config = config
        #: the command line, to read the settings files again as start-up did (None: code only)
        self.options = options
        self.console = console
        self.new_pool = new_pool
        #: workers started ahead for the next reload (after the first one: a host that is never
        #: edited runs no more processes than it needs)
        self.spare = Spare(new_pool)
        self.switch = switch
        #: new requests wait while it is held: they are answered by the new code (or the old if it fails)
        self.hold = hold
        self._stop = asyncio.Event()
        self._serving = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._reloading: asyncio.Task | None = None

    def start(self) -> None:
        """Watch from now on (before the app has started, so that no change is missed)."""
        self._task = asyncio.create_task(self._run(), name="reload-on-change")

    def serving(self) -> None:
        """The app has started: reload it on changes (those seen while it started, too)."""
        self._serving.set()

    async def stop(self) -> None:
        """Stop watching; a reload under way is abandoned (its new workers are stopped)."""
        self._stop.set()
        self._serving.set()
        if self._reloading is not None:
            self._reloading.cancel()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=2.0)  # the watcher sees the stop event
            if not done:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.spare.close()

    async def _run(self) -> None:
        try:
            async with contextlib.aclosing(app_changes(self.config.app_dir, self._stop)) as batches:
                async for changed in batches:
                    await self._serving.wait()
                    if self._stop.is_set():
                        return
                    self._reloading = asyncio.ensure_future(self._held(changed))
                    try:
                        await self._reloading
                    except asyncio.CancelledError:
                        if self._stop.is_set():
                            return
                        raise
                    except Exception as exc:  # not the app's doing: say so, and go on watching
                        self.console.error(f"Reload failed: {exc!r}; the previous code keeps serving")
                    finally:
                        self._reloading = None
        except Exception as exc:  # e.g. the system's limit of watched folders: keep serving
            self.console.warning(f"Reload on change stopped: {exc!r}; restart the host to apply changes")

    async def _held(self, changed: list[str]) -> None:
        with self.hold():
            await self.reload(changed)
        self.spare.make(self.config)

    async def reload(self, changed: list[str]) -> None:
        """Reload the app for a batch of changed files (relative paths)."""
        began = time.monotonic()
        console = self.console
        console.info(f"{describe_changes(changed)}: reloading the app")
        config = self._settings(changed)
        if config is None:
            return
        self.config = config  # what the next reload starts from, even if this one fails
        pool = await self.spare.take(config) or self.new_pool(config)
        try:
            catalog = await pool.start(retry=False)
        except _FAILURES as exc:  # the pool has stopped its processes
            console.error(f"Reload failed, the previous code keeps serving until the next change: {exc}")
            return
        assert catalog is not None  # start(retry=False) raises instead
        try:
            await self.switch(config, pool, catalog)
        except StartupError as exc:  # e.g. a storage connection the new settings name
            await pool.stop()
            console.error(f"Reload failed, the previous code keeps serving: {exc}")
            return
        except BaseException:
            await pool.stop()
            raise
        console.info(f"Reloaded in {time.monotonic() - began:.1f}s")

    def _settings(self, changed: list[str]) -> HostConfig | None:
        """The configuration to reload with (the current one unless a settings file changed);
        None when nothing is left to reload."""
        if not any(path in SETTINGS_FILES for path in changed):
            return self.config
        only_settings = all(path in SETTINGS_FILES for path in changed)
        if self.options is None:
            self.console.warning("Settings files changed: restart the host to apply them")
            return None if only_settings else self.config
        try:
            loaded = load_config(self.options)
        except (ConfigError, SettingsFileError) as exc:
            keeps = "keeps running" if only_settings else "reloads its code"
            self.console.error(f"{exc}. The app {keeps} with its previous settings.")
            return None if only_settings else self.config
        for note in listener_notes(self.config, loaded):
            self.console.warning(note)
        return keep_listener(self.config, loaded)
