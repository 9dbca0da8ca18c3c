import logging
import threading

import azure.functions as func


def worker_thread(results):
    logging.info('log from a user thread')
    results.append(threading.current_thread().name)


def main(req: func.HttpRequest) -> str:
    logging.info('log from the sync function in %s', threading.current_thread().name)
    results = []
    thread = threading.Thread(target=worker_thread, args=(results,), name='user-thread')
    thread.start()
    thread.join()
    return ' '.join(results)
