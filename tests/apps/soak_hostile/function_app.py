"""The hostile soak's app (scripts/soak_hostile.py): echoes, exceptions that are hard to describe,
a spinning `def` for functionTimeout to cut, and log bursts. Every run of a function that gets a
request id appends the id to ``$SOAK_HOSTILE_DIR/ran-<pid>.txt``, so the soak can count runs."""
import asyncio
import json
import logging
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: the longest a spinning function runs when nothing cuts it (functionTimeout is 4 s)
SPIN_LIMIT = 10.0


def _ran(req: func.HttpRequest) -> dict:
    """The request's JSON; its id is appended to this process's run file (one line per run)."""
    data = json.loads(req.get_body() or b"{}")
    folder = os.environ.get("SOAK_HOSTILE_DIR")
    if folder:
        # one write() of one short line in append mode: whole, even if the process is killed
        with open(os.path.join(folder, f"ran-{os.getpid()}.txt"), "a", encoding="utf-8") as f:
            f.write(data["id"] + "\n")
    return data


@app.route(route="echo_sync", methods=["POST"])
def echo_sync(req: func.HttpRequest) -> str:
    return _ran(req)["id"]


@app.route(route="echo_async", methods=["POST"])
async def echo_async(req: func.HttpRequest) -> str:
    data = _ran(req)
    await asyncio.sleep(0)
    return data["id"]


@app.route(route="surrogate", methods=["POST"])
def surrogate(req: func.HttpRequest) -> str:
    data = _ran(req)  # {"name": "\ud800"}: JSON may carry a lone surrogate
    raise ValueError("unknown user " + data["name"] + f" (request {data['id']})")


class UnprintableError(Exception):
    """An exception whose description itself fails."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ of UnprintableError failed on purpose")


@app.route(route="bad_str", methods=["POST"])
def bad_str(req: func.HttpRequest) -> str:
    data = _ran(req)
    raise UnprintableError(data["id"])


@app.route(route="cyclic", methods=["POST"])
async def cyclic(req: func.HttpRequest) -> str:
    data = _ran(req)
    first = ValueError(f"cyclic cause (request {data['id']})")
    second = KeyError("the cause of the cause")
    first.__cause__ = second
    second.__cause__ = first
    raise first


@app.route(route="spin", methods=["POST"])
def spin(req: func.HttpRequest) -> str:
    _ran(req)
    deadline = time.monotonic() + SPIN_LIMIT
    spins = 0
    while time.monotonic() < deadline:
        spins += 1
    return f"spun {spins} times: functionTimeout did not stop this function"


@app.route(route="burst", methods=["POST"])
def burst(req: func.HttpRequest) -> str:
    data = _ran(req)
    lines = int(data["lines"])
    for i in range(lines):
        logging.info("burst %s %d", data["id"], i)
    return f"logged {lines} {data['id']}"
