"""The dispatcher: each message to its handler in order of arrival, one reply per request even
when the handler fails, and kinds it does not handle ignored (logged); the worker serves on."""

from __future__ import annotations

import pytest

from quickfunc import dispatcher
from quickfunc.protos import pb
from quickfunc.state import WorkerState
from tests.helpers import FAILURE, LEVEL, worker_state


def _raises(message: pb.StreamingMessage, state: WorkerState) -> None:
    raise RuntimeError("handler broke \ud800 on a lone surrogate")


def _answers_nothing(message: pb.StreamingMessage, state: WorkerState) -> None:
    return None


def _warnings(worker) -> list[str]:
    return [log.message for log in worker.channel.logs if log.level == LEVEL("Warning")]


@pytest.mark.parametrize(
    "message, named",
    [
        (pb.StreamingMessage(start_stream=pb.StartStream(worker_id="x")), "start_stream"),
        (pb.StreamingMessage(invocation_response=pb.InvocationResponse(invocation_id="i")), "invocation_response"),
        (pb.StreamingMessage(), "<empty>"),
    ],
)
def test_kinds_without_a_handler_are_ignored_with_a_warning(worker_harness, message, named):
    worker = worker_harness()
    worker.forget()
    worker.send(message)
    worker.run(worker.channel.status())
    assert worker.kinds() == ["worker_status_response"]  # no reply to it; the next is served
    assert any(f"kind {named}" in text for text in _warnings(worker)), _warnings(worker)


def test_a_handler_that_raises_still_gets_its_request_one_failure_with_its_ids(worker_harness):
    worker = worker_harness(handlers={**dispatcher.HANDLERS, "function_load_request": _raises})
    response = worker.load("fn-7", pb.RpcFunctionMetadata(name="Fn"))
    assert response.function_id == "fn-7" and response.result.status == FAILURE
    message = response.result.exception.message
    assert "the worker failed while answering the function load request" in message
    assert "handler broke" in message
    assert len(worker.replies("function_load_response")) == 1
    assert any("internal error while handling function_load_request" in text for text in worker.system_errors())


def test_a_failure_reply_to_a_request_with_an_id_echoes_it(worker_harness):
    worker = worker_harness(handlers={**dispatcher.HANDLERS, "functions_metadata_request": _raises})
    worker.send(pb.StreamingMessage(request_id="md-3", functions_metadata_request=(pb.FunctionsMetadataRequest())))
    reply = worker.next_reply("function_metadata_response")
    assert reply.request_id == "md-3"
    assert reply.function_metadata_response.result.status == FAILURE


def test_a_handler_that_answers_nothing_gets_its_request_a_failure(worker_harness):
    worker = worker_harness(handlers={**dispatcher.HANDLERS, "worker_warmup_request": _answers_nothing})
    response = worker.run(worker.channel.warmup())
    assert response.result.status == FAILURE
    assert "gave no answer" in response.result.exception.message


def test_a_raising_handler_of_a_kind_without_reply_sends_nothing_and_the_worker_serves_on(worker_harness):
    worker = worker_harness(handlers={**dispatcher.HANDLERS, "invocation_cancel": _raises})
    worker.forget()
    worker.run(worker.channel.cancel("inv-1"))
    worker.run(worker.channel.status())
    assert worker.kinds() == ["worker_status_response"]
    assert any("internal error while handling invocation_cancel" in text for text in worker.system_errors())


def test_requests_answered_at_once_are_answered_in_the_order_they_arrive(worker_harness):
    worker = worker_harness()
    worker.forget()
    kinds = [
        "worker_status_request",
        "worker_warmup_request",
        "close_shared_memory_resources_request",
        "worker_status_request",
    ]
    for i, kind in enumerate(kinds):
        message = pb.StreamingMessage(request_id=f"r{i}")
        getattr(message, kind).SetInParent()
        worker.send(message)
    worker.settle(lambda: len(worker.kinds()) == len(kinds))
    assert worker.kinds() == [kind.replace("_request", "_response") for kind in kinds]


def test_keyboard_interrupt_from_user_code_is_not_answered_but_raised():
    def interrupted(message, state):
        raise KeyboardInterrupt

    sent: list[pb.StreamingMessage] = []
    state = worker_state(sent)
    try:
        with pytest.raises(KeyboardInterrupt):
            dispatcher.Dispatcher(state, {"function_load_request": interrupted}).dispatch(
                pb.StreamingMessage(function_load_request=pb.FunctionLoadRequest(function_id="f"))
            )
    finally:
        state.executor.shutdown()
    assert sent == []
