"""Benchmark app for the queue_drain case (scripts/bench_queue.py, which names this script in
PYTHON_SCRIPT_FILE_NAME): one queue-triggered function that appends ``index,done_time`` to the
file named by the BENCH_DONE_FILE app setting."""

import os
import time

import azure.functions as func

app = func.FunctionApp()
_done = os.open(os.environ["BENCH_DONE_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


@app.function_name(name="Drain")
@app.queue_trigger(arg_name="msg", queue_name="bench-drain", connection="AzureWebJobsStorage")
async def drain(msg: func.QueueMessage) -> None:
    # one O_APPEND write per message: whole lines, never interleaved
    os.write(_done, f"{msg.get_body().decode()},{time.time():.6f}\n".encode())
