"""WorkerWarmupRequest: answered Success with the worker's request id, before or after init."""

from __future__ import annotations

from quickfunc.protos import pb
from tests.helpers import SUCCESS, app_path


def test_warmup_succeeds_after_init(worker_harness):
    worker = worker_harness(app_path("v1_lifecycle"))
    assert worker.run(worker.channel.warmup()).result.status == SUCCESS


def test_warmup_before_init_succeeds_and_carries_the_workers_request_id(worker_harness):
    worker = worker_harness(init=False, request_id="worker-w")
    worker.send(
        pb.StreamingMessage(
            request_id="host-w", worker_warmup_request=(pb.WorkerWarmupRequest(worker_directory="/nowhere"))
        )
    )
    reply = worker.next_reply("worker_warmup_response")
    assert reply.request_id == "worker-w"
    assert reply.worker_warmup_response.result.status == SUCCESS
    assert not worker.state.init_received  # warming up is no init
