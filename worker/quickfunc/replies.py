"""The reply envelope: for each request kind, the response that answers it, the ids it echoes and
its Failure form; also what replaces a reply too large to send.

The dispatcher answers every request through here (also when a handler raises); the invocation
path uses it when running an invocation fails in an unforeseen way, and the transport's size
check when a message is over the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from . import messages
from .console import SYSTEM_LOGGER
from .describe import wire_text
from .protos import pb

log = logging.getLogger(SYSTEM_LOGGER)

#: how much of a replaced reply's own error text the replacement quotes, at most (characters)
QUOTE = 1000


@dataclass(frozen=True)
class Ids:
    """What a reply echoes from its request (or keeps from the reply it replaces)."""

    request_id: str = ""
    invocation_id: str = ""
    function_ids: tuple[str, ...] = ()
    map_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """How one request kind is answered."""

    request: str
    #: the StreamingMessage member that answers it
    response: str
    #: the request, for error texts ("the functions metadata request")
    label: str
    #: the response content saying Failure, built from the ids and a Failure StatusResult
    failed: Callable[[Ids, pb.StatusResult], Any]
    #: the envelope carries the request's request_id (otherwise the worker's own, from its command line)
    echo_request_id: bool = False
    #: the handler only starts the work; the code it started sends the answer (invocations, and
    #: the loads and the indexing, which import user code off the loop: load_runner.py)
    later: bool = False


def _load_failed(function_id: str, result: pb.StatusResult) -> pb.FunctionLoadResponse:
    return pb.FunctionLoadResponse(function_id=function_id, result=result)


REPLIES: dict[str, Reply] = {
    reply.request: reply
    for reply in (
        Reply(
            "worker_init_request",
            "worker_init_response",
            "the worker init request",
            lambda ids, result: pb.WorkerInitResponse(result=result, worker_metadata=messages.worker_metadata()),
        ),
        Reply(
            "functions_metadata_request",
            "function_metadata_response",
            "the functions metadata request",
            lambda ids, result: pb.FunctionMetadataResponse(result=result),
            echo_request_id=True,
            later=True,
        ),
        Reply(
            "function_load_request",
            "function_load_response",
            "the function load request",
            lambda ids, result: _load_failed(ids.function_ids[0] if ids.function_ids else "", result),
            later=True,
        ),
        Reply(
            "function_load_request_collection",
            "function_load_response_collection",
            "the function load request collection",
            lambda ids, result: pb.FunctionLoadResponseCollection(
                function_load_responses=[_load_failed(f, result) for f in ids.function_ids]
            ),
            later=True,
        ),
        Reply(
            "invocation_request",
            "invocation_response",
            "the invocation request",
            lambda ids, result: pb.InvocationResponse(invocation_id=ids.invocation_id, result=result),
            later=True,
        ),
        Reply(
            "worker_status_request",
            "worker_status_response",
            "the worker status request",
            lambda ids, result: pb.WorkerStatusResponse(),
            echo_request_id=True,
        ),
        Reply(
            "function_environment_reload_request",
            "function_environment_reload_response",
            "the environment reload request",
            lambda ids, result: pb.FunctionEnvironmentReloadResponse(
                result=result, worker_metadata=messages.worker_metadata()
            ),
        ),
        Reply(
            "close_shared_memory_resources_request",
            "close_shared_memory_resources_response",
            "the close shared memory request",
            lambda ids, result: pb.CloseSharedMemoryResourcesResponse(
                close_map_results={name: False for name in ids.map_names}
            ),
        ),
        Reply(
            "worker_warmup_request",
            "worker_warmup_response",
            "the worker warmup request",
            lambda ids, result: pb.WorkerWarmupResponse(result=result),
        ),
    )
}
BY_RESPONSE: dict[str, Reply] = {reply.response: reply for reply in REPLIES.values()}


def ids_of(message: pb.StreamingMessage) -> Ids:
    """The ids of a request or a response that its reply (or replacement) must carry."""
    kind = message.WhichOneof("content")
    request_id = message.request_id
    if kind is None:
        return Ids(request_id)
    content = getattr(message, kind)
    if kind in ("invocation_request", "invocation_response", "rpc_log"):
        return Ids(request_id, invocation_id=content.invocation_id)
    if kind in ("function_load_request", "function_load_response"):
        return Ids(request_id, function_ids=(content.function_id,))
    if kind == "function_load_request_collection":
        return Ids(request_id, function_ids=tuple(r.function_id for r in content.function_load_requests))
    if kind == "function_load_response_collection":
        return Ids(request_id, function_ids=tuple(r.function_id for r in content.function_load_responses))
    if kind == "close_shared_memory_resources_request":
        return Ids(request_id, map_names=tuple(content.map_names))
    if kind == "close_shared_memory_resources_response":
        return Ids(request_id, map_names=tuple(content.close_map_results))
    return Ids(request_id)


def answer(request: pb.StreamingMessage, content: Any, worker_request_id: str) -> pb.StreamingMessage:
    """The envelope that carries `content`, the response to `request`."""
    reply = REPLIES[request.WhichOneof("content")]  # type: ignore[index]
    return _envelope(reply, request.request_id, worker_request_id, content)


def failure(kind: str, ids: Ids, exc: BaseException, worker_request_id: str) -> pb.StreamingMessage | None:
    """The Failure reply to a request of `kind` whose handling raised `exc`; None if the kind has no
    response. Never raises."""
    reply = REPLIES.get(kind)
    if reply is None:
        return None
    result = messages.failure_for(exc, f"the worker failed while answering {reply.label}")
    return _envelope(reply, ids.request_id, worker_request_id, reply.failed(ids, result))


def _envelope(reply: Reply, request_id: str, worker_request_id: str, content: Any) -> pb.StreamingMessage:
    message = pb.StreamingMessage(request_id=request_id if reply.echo_request_id else worker_request_id)
    getattr(message, reply.response).CopyFrom(content)
    return message


# --- replies too large to send --------------------------------------------------------------------


def size_text(size: int) -> str:
    """`1.9 MiB (2000000 bytes)`."""
    if size < 1024:
        return f"{size} bytes"
    units = ("KiB", "MiB", "GiB", "TiB")
    value, index = size / 1024, 0
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    unit = units[index]
    number = f"{value:.{2 if value < 10 else 1 if value < 100 else 0}f}"
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number} {unit} ({size} bytes)"


def limit_text(limit: int, by_host: bool) -> str:
    if by_host:
        return f"the host's message size limit of {size_text(limit)}"
    return f"protobuf's limit of {size_text(limit)} per message"


def oversize(message: pb.StreamingMessage, size: int | None, limit: int, by_host: bool) -> pb.StreamingMessage | None:
    """What to send instead of `message`, which is `size` bytes (None: too large to serialize at
    all) and over `limit`: a Failure of the same kind, a shorter log; None to send nothing."""
    kind = message.WhichOneof("content")
    over = f"is {size_text(size) if size is not None else 'too large to serialize'}, over {limit_text(limit, by_host)}"
    if kind == "rpc_log":
        return _log_replacement(message, over)
    reply = None if kind is None else BY_RESPONSE.get(kind)
    if kind is None or reply is None or kind == "worker_status_response":
        log.error("a %s message %s; it was not sent", kind, over)
        return None
    content = getattr(message, kind)
    if kind == "function_load_response_collection":
        return _collection_replacement(message, over, limit)
    ids = ids_of(message)
    if kind == "invocation_response":
        text = f"the response of invocation {ids.invocation_id} {over}: {_invocation_parts(content)}"
    elif kind == "function_load_response":
        text = f"the load response for function {ids.function_ids[0]} {over}" + _quote(content)
    elif kind == "function_metadata_response":
        count = len(content.function_metadata_results)
        text = f"the function metadata response {over}" + (
            f"; it describes {count} functions" if count else _quote(content)
        )
    elif kind == "close_shared_memory_resources_response":
        text = f"the close shared memory response {over}; it is sent without the names of the maps"
    else:
        text = f"the {kind.replace('_', ' ')} {over}" + _quote(content)
    log.error("%s", text)
    replacement = pb.StreamingMessage(request_id=message.request_id)
    getattr(replacement, kind).CopyFrom(
        reply.failed(Ids(ids.request_id, ids.invocation_id, ids.function_ids), messages.failure(text))
    )
    return replacement


def _quote(content: Any) -> str:
    """The head of the error the replaced reply carried, if it carried one."""
    try:
        text = content.result.exception.message
    except AttributeError:
        return ""
    if not text:
        return ""
    head = text if len(text) <= QUOTE else text[:QUOTE] + " ..."
    return f"; the error it carried begins: {head}"


def _invocation_parts(response: pb.InvocationResponse) -> str:
    parts: list[tuple[str, Message]] = [(f"output '{binding.name}'", binding) for binding in response.output_data]
    if response.HasField("return_value"):
        parts.insert(0, ("the return value", response.return_value))
    advice = "return less, or write large data to storage through an output binding (a blob, say)"
    if not parts:
        return _quote(response).removeprefix("; ") or "it carries no outputs"
    if len(parts) == 1:
        return f"the large part is {parts[0][0]}; {advice}"
    name, size = max(((name, part.ByteSize()) for name, part in parts), key=lambda p: p[1])
    return f"the largest part is {name} with {size_text(size)}; {advice}"


def _collection_replacement(message: pb.StreamingMessage, over: str, limit: int) -> pb.StreamingMessage:
    """The collection with its largest entries replaced by short Failures until it fits."""
    replacement = pb.StreamingMessage()
    replacement.CopyFrom(message)
    entries = replacement.function_load_response_collection.function_load_responses
    sizes = sorted(((entry.ByteSize(), i) for i, entry in enumerate(entries)), reverse=True)
    total = replacement.ByteSize()
    for size, i in sizes:
        if total <= limit:
            break
        function_id = entries[i].function_id
        text = (
            f"the load response collection {over}; the load response for function {function_id} "
            f"is left out: it alone is {size_text(size)}" + _quote(entries[i])
        )
        log.error("%s", text)
        entries[i].CopyFrom(_load_failed(function_id, messages.failure(text)))
        total = replacement.ByteSize()
    return replacement


def _log_replacement(message: pb.StreamingMessage, over: str) -> pb.StreamingMessage:
    record = message.rpc_log
    head = record.message[:QUOTE]
    return pb.StreamingMessage(
        request_id=message.request_id,
        rpc_log=pb.RpcLog(
            invocation_id=record.invocation_id,
            category=SYSTEM_LOGGER,
            level=pb.RpcLog.Level.Value("Warning"),
            log_category=pb.RpcLog.RpcLogCategory.Value("System"),
            message=wire_text(
                f"a log record of category {record.category[:200]!r} was not sent: it {over}; it begins: {head}"
            ),
        ),
    )
