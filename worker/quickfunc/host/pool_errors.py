"""What the worker pool raises to its callers, and its all-or-nothing start of several workers."""

from __future__ import annotations

import asyncio

__all__ = ["WorkerCrashed", "InvocationTimedOut", "NoWorkerAvailable", "gather_or_cancel"]


class WorkerCrashed(Exception):
    """The worker running an invocation died before answering."""


class InvocationTimedOut(Exception):
    """No answer within functionTimeout; the worker was restarted, as the host does."""


class NoWorkerAvailable(Exception):
    """No worker process is running: every one is waiting to be restarted."""


async def gather_or_cancel(coroutines: list) -> None:
    """Run together; on the first failure cancel the rest (no half-started workers), re-raise."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    if not tasks:
        return
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if task.done() and not task.cancelled() and (error := task.exception()) is not None:
            raise error
