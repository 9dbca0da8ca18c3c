import threading
import time

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    start = time.monotonic()
    time.sleep(0.5)
    return f'{start} {time.monotonic()} {threading.current_thread().name}'
