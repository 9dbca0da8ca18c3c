import asyncio

import azure.functions as func

_TASKS = []


async def _cancelled_after(seconds: float) -> None:
    """Cancel the current task after `seconds`, the way asyncio.timeout and aiohttp's timers do."""
    timeout = getattr(asyncio, "timeout", None)
    if timeout is not None:
        try:
            async with timeout(seconds):
                await asyncio.sleep(5)
        except TimeoutError:
            pass
        return
    handle = asyncio.get_running_loop().call_later(seconds, asyncio.current_task().cancel)
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        pass
    finally:
        handle.cancel()


async def main(req: func.HttpRequest) -> str:
    me = asyncio.current_task()
    _TASKS.append(me)
    await _cancelled_after(0.05)
    await asyncio.sleep(0)
    distinct = len({id(t) for t in _TASKS})
    return f"own task: {me is asyncio.current_task()}; distinct tasks so far: {distinct}"
