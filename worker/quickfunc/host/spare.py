"""A spare worker pool for the next reload: its processes started, connected and initialised
while the app is being edited, so that a reload only has to import and load the new code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from quickfunc.host.config import HostConfig
from quickfunc.host.pool import WorkerPool
from quickfunc.host.pool_errors import gather_or_cancel

__all__ = ["Spare", "prepare"]

#: with it on, the worker imports the app at WorkerInitRequest: a spare would hold the old code
_INIT_INDEXING = "PYTHON_ENABLE_INIT_INDEXING"
_TRUE = {"1", "true", "yes"}


async def prepare(pool: WorkerPool) -> None:
    """Start the pool's gRPC server and worker processes up to WorkerInitRequest (no app code);
    ``pool.start`` then indexes and loads in them."""
    pool.launcher.port = await pool.server.start("127.0.0.1", 0)
    await gather_or_cancel([pool.launcher.launch(slot) for slot in pool.slots])


class Spare:
    """At most one spare pool, made for one configuration."""

    def __init__(self, new_pool: Callable[[HostConfig], WorkerPool]) -> None:
        self.new_pool = new_pool
        self._spare: tuple[HostConfig, WorkerPool, asyncio.Task] | None = None

    def make(self, config: HostConfig) -> None:
        """Start a spare for ``config`` (unless the app is indexed at init, or one is there)."""
        if self._spare is not None or config.settings.get(_INIT_INDEXING, "").strip().lower() in _TRUE:
            return
        pool = self.new_pool(config)
        self._spare = (config, pool, asyncio.create_task(prepare(pool), name="spare-workers"))

    async def take(self, config: HostConfig) -> WorkerPool | None:
        """The spare, if it was made for this very configuration and its workers are up; else
        None (a spare for other settings, or whose start failed, is stopped)."""
        if self._spare is None:
            return None
        made_for, pool, task = self._spare
        self._spare = None
        if made_for is not config:  # the settings changed: its workers have the old environment
            await _stop(pool, task)
            return None
        try:
            await task
        except asyncio.CancelledError:
            await _stop(pool, task)
            raise
        except Exception:  # it could not start: a fresh pool will say why
            await pool.stop()
            return None
        if not all(slot.connected for slot in pool.slots):
            await pool.stop()
            return None
        return pool

    async def close(self) -> None:
        """Stop the spare (the host is stopping)."""
        if self._spare is None:
            return
        _config, pool, task = self._spare
        self._spare = None
        await _stop(pool, task)


async def _stop(pool: WorkerPool, task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await pool.stop()
