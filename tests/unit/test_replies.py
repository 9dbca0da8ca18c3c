"""The reply path: each request kind that has a response gets exactly one, with its ids, also
when its handler raises; a reply too large to send is replaced by a Failure of its kind."""

from __future__ import annotations

import logging

import pytest

from quickfunc import dispatcher, replies, transport
from quickfunc.console import SYSTEM_LOGGER
from quickfunc.protos import pb
from quickfunc.state import WorkerState
from tests.helpers import FAILURE, worker_state

WORKER_REQUEST_ID = "worker-request-id"

#: one request of every kind that has a response, with ids to echo
REQUESTS = {
    "worker_init_request": pb.WorkerInitRequest(function_app_directory="/app"),
    "functions_metadata_request": pb.FunctionsMetadataRequest(function_app_directory="/app"),
    "function_load_request": pb.FunctionLoadRequest(function_id="f1"),
    "function_load_request_collection": pb.FunctionLoadRequestCollection(
        function_load_requests=[pb.FunctionLoadRequest(function_id="f1"), pb.FunctionLoadRequest(function_id="f2")]
    ),
    "invocation_request": pb.InvocationRequest(invocation_id="inv-1", function_id="f1"),
    "worker_status_request": pb.WorkerStatusRequest(),
    "function_environment_reload_request": pb.FunctionEnvironmentReloadRequest(function_app_directory="/app"),
    "close_shared_memory_resources_request": pb.CloseSharedMemoryResourcesRequest(map_names=["m1", "m2"]),
    "worker_warmup_request": pb.WorkerWarmupRequest(),
}
#: request kinds that have no response
NO_RESPONSE = ("invocation_cancel", "worker_terminate")


class Boom(RuntimeError):
    pass


def _request(kind: str) -> pb.StreamingMessage:
    message = pb.StreamingMessage(request_id=f"host-{kind}")
    getattr(message, kind).CopyFrom(REQUESTS[kind])
    return message


def _raising(message: pb.StreamingMessage, state: WorkerState) -> None:
    raise Boom("handler broke on \ud800")


def _dispatch(kind: str, handler) -> list[pb.StreamingMessage]:
    sent: list[pb.StreamingMessage] = []
    state = worker_state(sent, WORKER_REQUEST_ID)
    try:
        dispatcher.Dispatcher(state, {kind: handler}).dispatch(_request(kind))
    finally:
        state.executor.shutdown()
    return sent


def _check_ids(kind: str, reply: pb.StreamingMessage) -> None:
    spec = replies.REPLIES[kind]
    assert reply.WhichOneof("content") == spec.response
    assert reply.request_id == (f"host-{kind}" if spec.echo_request_id else WORKER_REQUEST_ID)
    content = getattr(reply, spec.response)
    if kind == "invocation_request":
        assert content.invocation_id == "inv-1"
    elif kind == "function_load_request":
        assert content.function_id == "f1"
    elif kind == "function_load_request_collection":
        assert [r.function_id for r in content.function_load_responses] == ["f1", "f2"]
        assert all(r.result.status == FAILURE for r in content.function_load_responses)
    elif kind == "close_shared_memory_resources_request":
        assert dict(content.close_map_results) == {"m1": False, "m2": False}


def test_every_handled_kind_that_has_a_response_is_in_the_reply_table():
    assert set(replies.REPLIES) == set(dispatcher.HANDLERS) - set(NO_RESPONSE)
    assert set(REQUESTS) == set(replies.REPLIES)


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_a_handler_that_raises_still_gets_its_request_one_failure_reply_with_the_ids(kind):
    sent = _dispatch(kind, _raising)
    assert len(sent) == 1
    reply = sent[0]
    _check_ids(kind, reply)
    content = getattr(reply, replies.REPLIES[kind].response)
    if content.DESCRIPTOR.fields_by_name.get("result") is not None:
        assert content.result.status == FAILURE
        exception = content.result.exception
        label = replies.REPLIES[kind].label
        assert exception.message == f"the worker failed while answering {label}: Boom: handler broke on \\ud800"
        assert exception.type == f"{__name__}.Boom"
        assert "_raising" in exception.stack_trace
        assert not exception.is_user_exception


@pytest.mark.parametrize("kind", sorted(k for k in REQUESTS if not replies.REPLIES[k].later))
def test_a_handler_that_answers_nothing_gets_its_request_a_failure(kind):
    sent = _dispatch(kind, lambda message, state: None)
    assert len(sent) == 1
    _check_ids(kind, sent[0])


def test_a_started_invocation_is_answered_by_the_code_it_started_not_the_dispatcher():
    assert _dispatch("invocation_request", lambda message, state: None) == []


@pytest.mark.parametrize("kind", NO_RESPONSE)
def test_a_raising_handler_of_a_kind_without_response_is_logged_and_sends_nothing(kind, caplog):
    sent: list[pb.StreamingMessage] = []
    state = worker_state(sent, WORKER_REQUEST_ID)
    message = pb.StreamingMessage()
    getattr(message, kind).SetInParent()
    with caplog.at_level(logging.ERROR, logger=SYSTEM_LOGGER):
        dispatcher.Dispatcher(state, {kind: _raising}).dispatch(message)
    state.executor.shutdown()
    assert sent == []
    assert f"internal error while handling {kind}" in caplog.text


def test_answer_echoes_the_request_id_only_where_the_host_correlates_by_it():
    status = replies.answer(_request("worker_status_request"), pb.WorkerStatusResponse(), WORKER_REQUEST_ID)
    assert status.request_id == "host-worker_status_request"
    init = replies.answer(_request("worker_init_request"), pb.WorkerInitResponse(), WORKER_REQUEST_ID)
    assert init.request_id == WORKER_REQUEST_ID


# ---- replies too large to send ----------------------------------------------------------------------

LIMIT = 4096
BIG = "x" * (LIMIT * 2)


def _big_failure() -> pb.StatusResult:
    return pb.StatusResult(status=FAILURE, exception=pb.RpcException(message=BIG))


OVERSIZED = {
    "invocation_response": pb.InvocationResponse(invocation_id="inv-1", return_value=pb.TypedData(bytes=BIG.encode())),
    "function_load_response": pb.FunctionLoadResponse(function_id="f1", result=_big_failure()),
    "function_metadata_response": pb.FunctionMetadataResponse(result=_big_failure()),
    "worker_init_response": pb.WorkerInitResponse(result=_big_failure()),
    "function_environment_reload_response": pb.FunctionEnvironmentReloadResponse(result=_big_failure()),
    "worker_warmup_response": pb.WorkerWarmupResponse(result=_big_failure()),
    "close_shared_memory_resources_response": pb.CloseSharedMemoryResourcesResponse(
        close_map_results={f"map-{i}-{BIG[:100]}": False for i in range(80)}
    ),
}


def _message(kind: str, content) -> pb.StreamingMessage:
    message = pb.StreamingMessage(request_id="rid")
    getattr(message, kind).CopyFrom(content)
    return message


def _replaced(message: pb.StreamingMessage, size: int | None, limit: int, by_host: bool) -> pb.StreamingMessage:
    """The replacement oversize gives, checked to be one (None would send nothing)."""
    replacement = replies.oversize(message, size, limit, by_host)
    assert replacement is not None, message.WhichOneof("content")
    return replacement


@pytest.mark.parametrize("kind", sorted(OVERSIZED))
def test_a_reply_over_the_limit_is_replaced_by_a_small_failure_of_its_kind_keeping_its_ids(kind):
    message = _message(kind, OVERSIZED[kind])
    size = message.ByteSize()
    replacement = replies.oversize(message, size, LIMIT, True)
    assert replacement is not None and replacement.ByteSize() <= LIMIT
    assert replacement.WhichOneof("content") == kind and replacement.request_id == "rid"
    content = getattr(replacement, kind)
    if kind == "close_shared_memory_resources_response":
        assert not content.close_map_results
        return
    assert content.result.status == FAILURE
    text = content.result.exception.message
    assert f"is {replies.size_text(size)}, over the host's message size limit of 4 KiB (4096 bytes)" in text
    if kind == "invocation_response":
        assert content.invocation_id == "inv-1" and not content.HasField("return_value")
        assert "the response of invocation inv-1" in text and "the large part is the return value" in text
    elif kind == "function_load_response":
        assert content.function_id == "f1"
    if kind != "invocation_response":
        assert "the error it carried begins: xxx" in text


def test_invocation_over_the_limit_names_its_largest_part():
    response = pb.InvocationResponse(invocation_id="inv-1", return_value=pb.TypedData(string="small"))
    response.output_data.add(name="outblob").data.bytes = b"x" * 10_000
    response.output_data.add(name="other").data.string = "y"
    message = _message("invocation_response", response)
    text = _replaced(message, message.ByteSize(), LIMIT, True).invocation_response.result.exception.message
    assert "the largest part is output 'outblob' with 9.78 KiB" in text


def test_collection_over_the_limit_replaces_only_its_largest_entries():
    collection = pb.FunctionLoadResponseCollection(
        function_load_responses=[
            pb.FunctionLoadResponse(function_id="ok", result=pb.StatusResult(status=pb.StatusResult.Success)),
            pb.FunctionLoadResponse(function_id="big", result=_big_failure()),
        ]
    )
    message = _message("function_load_response_collection", collection)
    replacement = _replaced(message, message.ByteSize(), LIMIT, True)
    ok, big = replacement.function_load_response_collection.function_load_responses
    assert (ok.function_id, ok.result.status) == ("ok", pb.StatusResult.Success)
    assert big.function_id == "big" and big.result.status == FAILURE
    assert "the load response for function big is left out" in big.result.exception.message
    assert replacement.ByteSize() <= LIMIT


def test_log_over_the_limit_is_replaced_by_a_short_system_warning_for_the_same_invocation():
    message = pb.StreamingMessage(rpc_log=pb.RpcLog(invocation_id="inv-1", category="user", message=BIG))
    replacement = _replaced(message, message.ByteSize(), LIMIT, True)
    log = replacement.rpc_log
    assert log.invocation_id == "inv-1" and log.log_category == pb.RpcLog.RpcLogCategory.Value("System")
    assert log.message.startswith("a log record of category 'user' was not sent: it is 8")
    assert replacement.ByteSize() <= LIMIT


def test_a_message_protobuf_cannot_serialize_is_named_as_such():
    message = _message("invocation_response", pb.InvocationResponse(invocation_id="inv-1"))
    text = _replaced(message, None, transport.PROTOBUF_LIMIT, False).invocation_response.result.exception.message
    assert "is too large to serialize, over protobuf's limit of 2 GiB (2147483647 bytes) per message" in text


@pytest.mark.parametrize(
    "size, text",
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KiB (1024 bytes)"),
        (2_000_000, "1.91 MiB (2000000 bytes)"),
        (20_419, "19.9 KiB (20419 bytes)"),
        (2**31 - 1, "2 GiB (2147483647 bytes)"),
        (2_200_000_000, "2.05 GiB (2200000000 bytes)"),
        (300 * 2**20, "300 MiB (314572800 bytes)"),
    ],
)
def test_sizes_are_written_for_people(size, text):
    assert replies.size_text(size) == text


# ---- the transport's size check -----------------------------------------------------------------------


def test_the_limit_is_the_hosts_below_2_gib_and_protobufs_otherwise():
    assert (transport.Transport("t", 8192)._limit, transport.Transport("t", 8192)._limit_by_host) == (8192, True)
    for unlimited in (-1, 0, 2147483647):
        limited = transport.Transport("t", unlimited)
        assert (limited._limit, limited._limit_by_host) == (2**31 - 1, False)


def test_a_message_within_the_limit_is_sent_as_serialized():
    message = _message("invocation_response", pb.InvocationResponse(invocation_id="inv-1"))
    assert transport.Transport("t", 8192)._encode(message) == message.SerializeToString()


def test_a_message_over_the_limit_is_sent_as_its_replacement():
    sender = transport.Transport("t", LIMIT)
    seen: list[tuple[int | None, int, bool]] = []

    def oversize(message, size, limit, by_host):
        seen.append((size, limit, by_host))
        return replies.oversize(message, size, limit, by_host)

    sender.on_oversize = oversize
    message = _message("invocation_response", OVERSIZED["invocation_response"])
    data = sender._encode(message)
    assert seen == [(message.ByteSize(), LIMIT, True)]
    assert data is not None
    sent = pb.StreamingMessage.FromString(data)
    assert sent.invocation_response.invocation_id == "inv-1"
    assert sent.invocation_response.result.status == FAILURE


class _Unserializable:
    """A message that, like one over 2 GiB in some protobuf builds, refuses to serialize."""

    def __init__(self, message: pb.StreamingMessage) -> None:
        self._message = message

    def SerializeToString(self) -> bytes:
        raise ValueError("Message exceeds maximum protobuf size of 2GB")

    def __getattr__(self, name: str):
        return getattr(self._message, name)


def test_a_message_that_cannot_be_serialized_is_sent_as_its_replacement():
    sender = transport.Transport("t", -1)
    sender.on_oversize = replies.oversize
    message = _message("invocation_response", pb.InvocationResponse(invocation_id="inv-1"))
    # a stand-in that is not a StreamingMessage on purpose: it refuses to serialize
    data = sender._encode(_Unserializable(message))  # type: ignore[arg-type]
    assert data is not None
    sent = pb.StreamingMessage.FromString(data)
    assert "too large to serialize, over protobuf's limit" in sent.invocation_response.result.exception.message


@pytest.mark.parametrize(
    "hook", [None, lambda *a: None, lambda *a: 1 / 0, lambda m, *a: m]
)  # no hook, nothing instead, a broken one, still too big
def test_a_message_over_the_limit_without_a_usable_replacement_is_not_sent_and_is_logged(hook, caplog):
    sender = transport.Transport("t", LIMIT)
    sender.on_oversize = hook
    message = _message("invocation_response", OVERSIZED["invocation_response"])
    with caplog.at_level(logging.ERROR, logger=SYSTEM_LOGGER):
        assert sender._encode(message) is None
    assert "invocation_response message of" in caplog.text and "it was not sent" in caplog.text
