import asyncio
import logging
import threading

import azure.functions as func


async def background(n):
    await asyncio.sleep(0.01)
    logging.info('log from asyncio task %d', n)


def in_thread():
    logging.getLogger('contoso.threads').warning('log from a thread started by an async function')


async def main(req: func.HttpRequest) -> str:
    logging.info('log from the async function')
    await asyncio.gather(asyncio.create_task(background(1)), asyncio.create_task(background(2)))
    thread = threading.Thread(target=in_thread)
    thread.start()
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    return 'ok'
