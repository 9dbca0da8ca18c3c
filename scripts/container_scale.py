"""The container test's scale-out part: two containers of one app on one Azurite queue. 2,000
messages are each processed (the app writes one "done" message per run: at least once, none lost),
split between the two; one container is killed half way (SIGKILL: its leased messages come back
to the other when their lease runs out, shortened to 20 s by QUICKFUNC_QUEUE_LEASE, the host's
``--queue-lease``; ``--stop``: stopped with ``docker stop`` instead, and each message runs once)."""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "worker"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from container_env import Daemon, check, free_port, log, wait_for  # noqa: E402

from quickfunc.host.dockerfile import write_files  # noqa: E402
from tests.azurite import Azurite, start_azurite  # noqa: E402

__all__ = ["MESSAGES", "scale_out"]

MESSAGES = 2000
#: the app: one "done" message per run, naming the message and the container that ran it
_APP = {
    "host.json": json.dumps({"version": "2.0", "extensions": {"queues": {"messageEncoding": "none"}}}) + "\n",
    "function_app.py": """import os

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="work", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="done", queue_name="done", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage, done: func.Out[str]) -> None:
    done.set(f"{msg.get_body().decode()} {os.environ['CONTAINER_NAME']}")
""",
}


def _queue(azurite: Azurite, name: str) -> Any:
    from azure.storage.queue import QueueClient

    return QueueClient.from_connection_string(azurite.connection_string, name)


def _count(azurite: Azurite, name: str) -> int:
    return int(_queue(azurite, name).get_queue_properties().approximate_message_count)


def _collect(azurite: Azurite) -> list[str]:
    """Every message of the done queue (received for 10 minutes, not deleted: Azurite goes after)."""
    queue, found = _queue(azurite, "done"), []
    for _ in range(MESSAGES * 2 // 32 + 50):
        batch = [
            m.content for m in queue.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=600)
        ]
        if not batch:
            break
        found.extend(batch)
    return found


def scale_out(daemon: Daemon, host_image: str, folder: Path, facts: dict[str, Any], kill: bool = False) -> None:
    folder.mkdir()
    for name, text in _APP.items():
        (folder / name).write_text(text)
    write_files(str(folder), host_image)
    daemon.docker("build", "-q", "-t", f"{host_image}-scale", str(folder), timeout=600)
    (folder.parent / "azurite").mkdir()
    azurite = start_azurite(str(folder.parent / "azurite"))
    try:
        _run(daemon, f"{host_image}-scale", azurite, facts, kill)
    finally:
        azurite.stop()


#: seconds a message stays leased: a killed container's messages come back after this
LEASE = 20


def _run(daemon: Daemon, image: str, azurite: Azurite, facts: dict[str, Any], kill: bool) -> None:
    work = _queue(azurite, "work")
    work.create_queue()
    _queue(azurite, "done").create_queue()
    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: work.send_message(str(n)), range(MESSAGES)))
    log(f"{MESSAGES} messages put on the queue in {time.monotonic() - start:.1f}s")
    start = time.monotonic()
    containers = {}
    for name in ("a", "b"):
        containers[name] = daemon.docker(
            "run", "-d", "--network", "host", "-e", "QUICKFUNC_HOST=127.0.0.1", "-e", f"QUICKFUNC_PORT={free_port()}",
            "-e", f"AzureWebJobsStorage={azurite.connection_string}", "-e", f"CONTAINER_NAME={name}",
            "-e", f"QUICKFUNC_QUEUE_LEASE={LEASE}", image,
        ).strip()  # fmt: skip
    wait_for("half the messages done", lambda: _count(azurite, "done") >= MESSAGES // 2, 180)
    stopped = time.monotonic()
    if kill:
        daemon.docker("kill", containers["a"])
    else:
        daemon.docker("stop", "-t", "30", containers["a"], timeout=120)
        code = daemon.docker("inspect", "--format", "{{.State.ExitCode}}", containers["a"]).strip()
        check(code == "0", f"container a stopped half way, exit code {code}")
    log(f"container a {'killed' if kill else 'stopped'} with {_count(azurite, 'done')} done")
    try:
        wait_for("every message done and deleted", lambda: _count(azurite, "work") == 0, 180)
    except AssertionError:
        for name, container in containers.items():
            log(f"container {name}, the end of its log:\n{daemon.logs(container)[-3000:]}")
        log(f"{_count(azurite, 'work')} messages left on the work queue")
        raise
    facts["scale-out: seconds after the stop until the queue was empty"] = round(time.monotonic() - stopped, 1)
    facts["scale-out: messages processed per second, overall"] = round(MESSAGES / (time.monotonic() - start))
    done = _collect(azurite)
    runs = collections.Counter(text.split()[0] for text in done)
    split = collections.Counter(text.split()[1] for text in done)
    lost = MESSAGES - len([n for n in map(str, range(MESSAGES)) if n in runs])
    facts["scale-out"] = {
        "messages": MESSAGES,
        "runs": len(done),
        "lost": lost,
        "duplicated": len(done) - len(runs),
        "split": dict(split),
        "stop": "kill" if kill else "docker stop",
    }
    check(lost == 0, f"no message lost ({facts['scale-out']})")
    check(split["a"] > 0 and split["b"] > 0, f"both containers took messages: {dict(split)}")
    if not kill:
        check(len(done) == MESSAGES, f"each message ran once: {len(done)} runs")
    daemon.docker("stop", "-t", "30", containers["b"], timeout=120)


if __name__ == "__main__":
    print(__doc__, file=sys.stderr)
    print("run it through scripts/container_test.py [--stop]", file=sys.stderr)
    sys.exit(os.EX_USAGE)
