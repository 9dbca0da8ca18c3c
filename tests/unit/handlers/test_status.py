"""WorkerStatusRequest: answered at once with the host's request id, whatever the worker is busy
with (the host measures the worker's latency with it)."""

from __future__ import annotations

import pytest

from quickfunc.host.request_builders import build_invocation
from quickfunc.protos import pb
from tests.helpers import SUCCESS, http, write_v1_function


def _status(request_id: str) -> pb.StreamingMessage:
    return pb.StreamingMessage(request_id=request_id, worker_status_request=pb.WorkerStatusRequest())


def test_the_answer_echoes_the_request_id_and_is_empty(worker_harness):
    worker = worker_harness()
    worker.send(_status("status-1"))
    reply = worker.next_reply("worker_status_response")
    assert reply.request_id == "status-1"
    assert reply.worker_status_response == pb.WorkerStatusResponse()


def test_it_is_answered_before_init(worker_harness):
    worker = worker_harness(init=False)
    worker.send(_status("early"))
    assert worker.next_reply("worker_status_response").request_id == "early"
    assert not worker.state.init_received


def test_each_request_gets_one_answer_in_order(worker_harness):
    worker = worker_harness()
    for i in range(5):
        worker.send(_status(f"s{i}"))
    worker.settle(lambda: len(worker.replies("worker_status_response")) == 5)
    assert [worker.next_reply("worker_status_response").request_id for _ in range(5)] == [f"s{i}" for i in range(5)]


@pytest.mark.parametrize(
    "name, code",
    [
        ("BusyAsync", "import asyncio\nasync def main(req):\n    await asyncio.sleep(1)\n    return 'done'\n"),
        ("BusySync", "import time\ndef main(req):\n    time.sleep(1)\n    return 'done'\n"),
    ],
    ids=["async", "def"],
)
def test_it_is_answered_while_an_invocation_runs(worker_harness, tmp_path, name, code):
    write_v1_function(tmp_path, name, code)
    worker = worker_harness(str(tmp_path), env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"})
    worker.load_v1_app()
    request = build_invocation(worker.function_id(name), {"req": http()})
    answer = worker.spawn(worker.channel.invoke(request))
    worker.settle(lambda: request.invocation_id in worker.state.in_flight)
    worker.run(worker.channel.status(timeout=5))
    assert not answer.done()  # answered while the 1 s invocation still runs, not after it
    assert worker.run(answer).result.status == SUCCESS
