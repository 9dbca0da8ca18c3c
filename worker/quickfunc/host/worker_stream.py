"""The host side of one EventStream: send a request, await the response with its id.

Also builds requests the way the Functions host does (v1 ``function.json`` metadata, HTTP input).
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import time
import urllib.parse
import uuid
from typing import Any, AsyncIterator, Callable, Iterable, Mapping, NoReturn

import grpc

from quickfunc.protos import pb

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "DEFAULT_HOST_CAPABILITIES",
    "WorkerGone",
    "FunctionJsonError",
    "RpcServer",
    "WorkerChannel",
    "v1_metadata_from_folder",
    "discover_v1_functions",
    "http_request",
    "build_invocation",
]

_log = logging.getLogger(__name__)

#: what the real host allows and passes on the command line (int.MaxValue)
MAX_MESSAGE_LENGTH = 2147483647
DEFAULT_HOST_VERSION = "4.1037.0"
DEFAULT_HOST_CAPABILITIES: dict[str, str] = {"MultiStream": "10"}
_SERVICE = "AzureFunctionsRpcMessages.FunctionRpc"

# Responses without an id of their own: matched to requests first-in, first-out.
_FIFO_KINDS = (
    "worker_init_response",
    "function_metadata_response",
    "function_environment_reload_response",
    "close_shared_memory_resources_response",
    "worker_warmup_response",
)

_SUCCESS = pb.StatusResult.Success


class WorkerGone(Exception):
    """The worker's stream ended while (or before) a request was waiting for its answer."""


class FunctionJsonError(ValueError):
    """A function.json file that the host could not turn into function metadata."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        where = f" (key {key!r})" if key else ""
        super().__init__(f"{path}{where}: {problem}")


# --------------------------------------------------------------------------------------------
# one worker stream
# --------------------------------------------------------------------------------------------


class WorkerChannel:
    """One connected worker stream: outgoing queue, incoming router, futures keyed by id."""

    def __init__(self, worker_id: str, start_request_id: str = "",
                 on_log: Callable[[pb.RpcLog], Any] | None = None) -> None:
        self.worker_id = worker_id
        #: ``request_id`` of the worker's StartStream envelope
        self.start_request_id = start_request_id
        self.on_log = on_log
        self.logs: list[pb.RpcLog] = []
        self.unexpected: list[pb.StreamingMessage] = []
        #: capabilities from the last successful init / environment reload
        self.worker_capabilities: dict[str, str] = {}
        #: set once the stream has ended (either side); see ``close_reason``
        self.closed = asyncio.Event()
        self.close_reason = ""
        self._loop = asyncio.get_running_loop()
        self._out: asyncio.Queue[pb.StreamingMessage | None] = asyncio.Queue()
        self._invocations: dict[str, asyncio.Future] = {}
        self._loads: dict[str, asyncio.Future] = {}
        self._statuses: dict[str, asyncio.Future] = {}
        self._fifo: dict[str, collections.deque[asyncio.Future]] = {
            kind: collections.deque() for kind in _FIFO_KINDS}
        self._invocation_logs: dict[str, list[pb.RpcLog]] = {}
        self._reader: asyncio.Task | None = None
        self._routes: dict[str, Callable[[pb.StreamingMessage], None]] = {
            "function_load_response": self._on_load,
            "function_load_response_collection": self._on_load_collection,
            "worker_status_response": self._on_status,
            "rpc_log": self._on_log,
        }
        for kind in _FIFO_KINDS:
            self._routes[kind] = self._on_fifo

    def __repr__(self) -> str:
        state = f"closed: {self.close_reason}" if self.closed.is_set() else "open"
        return f"<WorkerChannel {self.worker_id} {state}>"

    # ---- stream plumbing (used by RpcServer) ----------------------------------------------

    def attach(self, incoming: AsyncIterator[pb.StreamingMessage]) -> None:
        """Start routing the worker's messages from ``incoming``."""
        self._reader = self._loop.create_task(self._read(incoming),
                                              name=f"worker-{self.worker_id}-reader")

    async def outgoing(self) -> AsyncIterator[pb.StreamingMessage]:
        """Yield queued messages for the worker until the channel is closed."""
        get = self._out.get
        while True:
            msg = await get()
            if msg is None:
                return
            yield msg

    async def _read(self, incoming: AsyncIterator[pb.StreamingMessage]) -> None:
        reason = "the worker ended its stream"
        try:
            async for msg in incoming:
                self._route(msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the RPC broke: the worker is gone all the same
            reason = f"the stream failed: {exc!r}"
        self.mark_gone(reason)

    def mark_gone(self, reason: str) -> None:
        """Record the end of the stream (first reason wins) and fail every pending request."""
        if self.closed.is_set():
            return
        self.close_reason = reason
        self.closed.set()
        self._out.put_nowait(None)
        pending = [f for f in self._pending_futures() if not f.done()]
        for fut in pending:
            fut.set_exception(WorkerGone(
                f"worker {self.worker_id} is gone ({reason}); "
                f"{len(pending)} request(s) were pending"))
        self._invocations.clear()
        self._loads.clear()
        self._statuses.clear()
        for waiters in self._fifo.values():
            waiters.clear()
        reader = self._reader
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            reader.cancel()

    def _pending_futures(self) -> Iterable[asyncio.Future]:
        yield from self._invocations.values()
        yield from self._loads.values()
        yield from self._statuses.values()
        for waiters in self._fifo.values():
            yield from waiters

    def _check_open(self) -> None:
        if self.closed.is_set():
            raise WorkerGone(f"worker {self.worker_id} is gone ({self.close_reason})")

    # ---- incoming routing -----------------------------------------------------------------

    def _route(self, msg: pb.StreamingMessage) -> None:
        kind = msg.WhichOneof("content")
        if kind == "invocation_response":
            resp = msg.invocation_response
            fut = self._invocations.pop(resp.invocation_id, None)
            if fut is not None and not fut.done():
                fut.set_result(resp)
            else:
                self.unexpected.append(msg)
            return
        handler = self._routes.get(kind)
        if handler is None:
            self.unexpected.append(msg)
        else:
            handler(msg)

    def _resolve(self, table: dict[str, asyncio.Future], key: str, value: Any,
                 msg: pb.StreamingMessage) -> None:
        fut = table.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(value)
        else:
            self.unexpected.append(msg)

    def _on_load(self, msg: pb.StreamingMessage) -> None:
        resp = msg.function_load_response
        self._resolve(self._loads, resp.function_id, resp, msg)

    def _on_load_collection(self, msg: pb.StreamingMessage) -> None:
        for resp in msg.function_load_response_collection.function_load_responses:
            self._resolve(self._loads, resp.function_id, resp, msg)

    def _on_status(self, msg: pb.StreamingMessage) -> None:
        self._resolve(self._statuses, msg.request_id, msg.worker_status_response, msg)

    def _on_fifo(self, msg: pb.StreamingMessage) -> None:
        kind = msg.WhichOneof("content")
        waiters = self._fifo[kind]
        fut = waiters.popleft() if waiters else None
        # a waiter that timed out still takes its (late) answer, so pairs stay in order
        if fut is not None and not fut.done():
            fut.set_result(getattr(msg, kind))
        else:
            self.unexpected.append(msg)

    def _on_log(self, msg: pb.StreamingMessage) -> None:
        log = msg.rpc_log
        self.logs.append(log)
        if log.invocation_id:
            self._invocation_logs.setdefault(log.invocation_id, []).append(log)
        if self.on_log is not None:
            try:
                self.on_log(log)
            except Exception:
                _log.exception("on_log callback failed for worker %s", self.worker_id)

    def logs_for(self, invocation_id: str) -> list[pb.RpcLog]:
        """The RpcLogs the worker sent with this invocation id (so far)."""
        return self._invocation_logs.get(invocation_id, [])

    def clear_logs(self) -> None:
        """Forget collected logs (long benchmark runs)."""
        self.logs.clear()
        self._invocation_logs.clear()

    # ---- request helpers ------------------------------------------------------------------

    def _put(self, msg: pb.StreamingMessage) -> None:
        self._check_open()
        self._out.put_nowait(msg)

    async def _await(self, fut: asyncio.Future, timeout: float | None, what: str,
                     forget: Callable[[], Any] | None = None) -> Any:
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if forget is not None:
                forget()
            raise asyncio.TimeoutError(
                f"worker {self.worker_id}: no {what} within {timeout}s") from None
        except asyncio.CancelledError:
            if forget is not None:
                forget()
            raise

    async def _keyed(self, table: dict[str, asyncio.Future], key: str,
                     msg: pb.StreamingMessage, what: str, timeout: float | None) -> Any:
        self._check_open()
        if key in table:
            raise ValueError(f"worker {self.worker_id}: a {what} is already pending")
        fut = self._loop.create_future()
        table[key] = fut
        self._put(msg)
        return await self._await(fut, timeout, what, lambda: table.pop(key, None))

    async def _fifo_request(self, kind: str, msg: pb.StreamingMessage, what: str,
                            timeout: float | None) -> Any:
        self._check_open()
        fut = self._loop.create_future()
        self._fifo[kind].append(fut)
        self._put(msg)
        return await self._await(fut, timeout, what)

    # ---- requests -------------------------------------------------------------------------

    async def init(self, function_app_directory: str, worker_directory: str = "",
                   host_version: str = DEFAULT_HOST_VERSION,
                   capabilities: Mapping[str, str] | None = None,
                   timeout: float | None = 10.0) -> pb.WorkerInitResponse:
        """Send WorkerInitRequest; return the WorkerInitResponse (default host timeout 10 s)."""
        caps = DEFAULT_HOST_CAPABILITIES if capabilities is None else capabilities
        msg = pb.StreamingMessage(worker_init_request=pb.WorkerInitRequest(
            host_version=host_version, capabilities=dict(caps),
            worker_directory=worker_directory, function_app_directory=function_app_directory))
        resp = await self._fifo_request("worker_init_response", msg,
                                        "worker_init_response", timeout)
        if resp.result.status == _SUCCESS:
            self.worker_capabilities = dict(resp.capabilities)
        return resp

    async def functions_metadata(self, app_dir: str,
                                 timeout: float | None = 60.0) -> pb.FunctionMetadataResponse:
        """Ask the worker to index the app (FunctionsMetadataRequest)."""
        msg = pb.StreamingMessage(functions_metadata_request=pb.FunctionsMetadataRequest(
            function_app_directory=app_dir))
        return await self._fifo_request("function_metadata_response", msg,
                                        "function_metadata_response", timeout)

    async def load(self, function_id: str, metadata: pb.RpcFunctionMetadata,
                   timeout: float | None = 60.0) -> pb.FunctionLoadResponse:
        """Send one FunctionLoadRequest; return the response carrying the same function_id."""
        msg = pb.StreamingMessage(function_load_request=pb.FunctionLoadRequest(
            function_id=function_id, metadata=metadata))
        return await self._keyed(self._loads, function_id, msg,
                                 f"function_load_response for function {function_id}", timeout)

    async def load_collection(self, requests: list[pb.FunctionLoadRequest],
                              timeout: float | None = 60.0) -> list[pb.FunctionLoadResponse]:
        """Send one FunctionLoadRequestCollection; return the responses in request order."""
        self._check_open()
        ids = [r.function_id for r in requests]
        if len(set(ids)) != len(ids) or any(i in self._loads for i in ids):
            raise ValueError(f"worker {self.worker_id}: duplicate or already pending function ids")
        futs = [self._loop.create_future() for _ in ids]
        self._loads.update(zip(ids, futs))
        self._put(pb.StreamingMessage(function_load_request_collection=(
            pb.FunctionLoadRequestCollection(function_load_requests=requests))))

        try:
            return list(await asyncio.wait_for(asyncio.gather(*futs), timeout))
        except asyncio.TimeoutError:
            missing = [i for i, f in zip(ids, futs) if not (f.done() and not f.cancelled())]
            raise asyncio.TimeoutError(
                f"worker {self.worker_id}: no function_load_response for functions "
                f"{', '.join(missing)} within {timeout}s") from None
        finally:
            for i in ids:
                self._loads.pop(i, None)

    async def invoke(self, request: pb.InvocationRequest,
                     timeout: float | None = 60.0) -> pb.InvocationResponse:
        """Send an InvocationRequest; return the InvocationResponse with its invocation_id."""
        if self.closed.is_set():
            self._check_open()
        iid = request.invocation_id
        fut = self._loop.create_future()
        if self._invocations.setdefault(iid, fut) is not fut:
            raise ValueError(f"worker {self.worker_id}: invocation {iid} is already pending")
        self._out.put_nowait(pb.StreamingMessage(invocation_request=request))
        handle = None if timeout is None else self._loop.call_later(
            timeout, self._expire_invocation, iid, timeout)
        try:
            return await fut
        except asyncio.CancelledError:
            self._invocations.pop(iid, None)
            raise
        finally:
            if handle is not None:
                handle.cancel()

    def _expire_invocation(self, invocation_id: str, timeout: float) -> None:
        fut = self._invocations.pop(invocation_id, None)
        if fut is not None and not fut.done():
            fut.set_exception(asyncio.TimeoutError(
                f"worker {self.worker_id}: no invocation_response for invocation "
                f"{invocation_id} within {timeout}s"))

    async def status(self, timeout: float | None = 10.0) -> float:
        """Round-trip a WorkerStatusRequest (fresh request_id); return the seconds it took."""
        request_id = str(uuid.uuid4())
        msg = pb.StreamingMessage(request_id=request_id,
                                  worker_status_request=pb.WorkerStatusRequest())
        start = time.perf_counter()
        await self._keyed(self._statuses, request_id, msg,
                          f"worker_status_response for request {request_id}", timeout)
        return time.perf_counter() - start

    async def reload_environment(self, env: Mapping[str, str], app_dir: str,
                                 worker_directory: str = "", timeout: float | None = 30.0,
                                 ) -> pb.FunctionEnvironmentReloadResponse:
        """Specialize a placeholder worker: send the complete new environment and app dir."""
        variables = {k: v for k, v in env.items() if v}
        variables.setdefault("FUNCTIONS_APPLICATION_DIRECTORY", app_dir)
        if worker_directory:
            variables.setdefault("FUNCTIONS_WORKER_DIRECTORY", worker_directory)
        msg = pb.StreamingMessage(
            function_environment_reload_request=pb.FunctionEnvironmentReloadRequest(
                environment_variables=variables, function_app_directory=app_dir))
        resp = await self._fifo_request("function_environment_reload_response", msg,
                                        "function_environment_reload_response", timeout)
        if resp.result.status == _SUCCESS:
            self.worker_capabilities.update(resp.capabilities)
        return resp

    async def close_shared_memory(self, map_names: Iterable[str], timeout: float | None = 10.0,
                                  ) -> pb.CloseSharedMemoryResourcesResponse:
        """Ask the worker to drop the named shared-memory maps."""
        msg = pb.StreamingMessage(close_shared_memory_resources_request=(
            pb.CloseSharedMemoryResourcesRequest(map_names=list(map_names))))
        return await self._fifo_request("close_shared_memory_resources_response", msg,
                                        "close_shared_memory_resources_response", timeout)

    async def warmup(self, worker_directory: str = "",
                     timeout: float | None = 90.0) -> pb.WorkerWarmupResponse:
        """Send WorkerWarmupRequest (only for workers advertising HandlesWorkerWarmupMessage)."""
        msg = pb.StreamingMessage(worker_warmup_request=pb.WorkerWarmupRequest(
            worker_directory=worker_directory))
        return await self._fifo_request("worker_warmup_response", msg,
                                        "worker_warmup_response", timeout)

    async def cancel(self, invocation_id: str) -> None:
        """Send InvocationCancel (fire and forget)."""
        self._put(pb.StreamingMessage(invocation_cancel=pb.InvocationCancel(
            invocation_id=invocation_id)))

    async def terminate(self, grace_seconds: float = 5.0) -> None:
        """Send WorkerTerminate with a grace period (fire and forget)."""
        msg = pb.StreamingMessage(worker_terminate=pb.WorkerTerminate())
        whole = int(grace_seconds)
        msg.worker_terminate.grace_period.seconds = whole
        msg.worker_terminate.grace_period.nanos = int(round((grace_seconds - whole) * 1e9))
        self._put(msg)

    async def send(self, msg: pb.StreamingMessage) -> None:
        """Queue any message for the worker as is."""
        self._put(msg)

    async def close(self, timeout: float | None = 5.0) -> bool:
        """End the stream from the host side; return True once it has ended within timeout."""
        if not self.closed.is_set():
            self._out.put_nowait(None)
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def wait_closed(self, timeout: float | None = None) -> str:
        """Wait until the stream has ended; return the reason."""
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(
                f"worker {self.worker_id}: stream still open after {timeout}s") from None
        return self.close_reason


# --------------------------------------------------------------------------------------------
# the gRPC server
# --------------------------------------------------------------------------------------------


class RpcServer:
    """The host's gRPC server: accepts EventStreams and binds each to an expected worker id."""

    def __init__(self, on_log: Callable[[pb.RpcLog], Any] | None = None,
                 first_message_timeout: float = 60.0) -> None:
        self.on_log = on_log
        self.first_message_timeout = first_message_timeout
        self.host = ""
        self.port = 0
        self.channels: dict[str, WorkerChannel] = {}
        #: (worker_id, reason) for every stream turned away
        self.rejected: list[tuple[str, str]] = []
        self._expected: dict[str, asyncio.Future[WorkerChannel]] = {}
        self._server: grpc.aio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0,
                    max_message_length: int = MAX_MESSAGE_LENGTH) -> int:
        """Bind and start serving; return the bound port."""
        options = [("grpc.max_send_message_length", max_message_length),
                   ("grpc.max_receive_message_length", max_message_length)]
        server = grpc.aio.server(options=options)
        handler = grpc.stream_stream_rpc_method_handler(
            self._event_stream,
            request_deserializer=pb.StreamingMessage.FromString,
            response_serializer=pb.StreamingMessage.SerializeToString)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(_SERVICE, {"EventStream": handler}),))
        bound = server.add_insecure_port(f"{host}:{port}")
        if not bound:
            raise OSError(f"gRPC server could not bind {host}:{port}")
        await server.start()
        self._server, self.host, self.port = server, host, bound
        return bound

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving (active streams end after ``grace`` seconds) and fail every wait."""
        if self._server is not None:
            await self._server.stop(grace)
        for channel in self.channels.values():
            channel.mark_gone("the host's gRPC server stopped")
        for fut in self._expected.values():
            if not fut.done():
                fut.cancel()

    def expect(self, worker_id: str) -> asyncio.Future[WorkerChannel]:
        """Register a worker id before launching its process; its StartStream will be accepted."""
        fut = self._expected.get(worker_id)
        if fut is None:
            fut = self._expected[worker_id] = asyncio.get_running_loop().create_future()
        return fut

    async def wait_for_worker(self, worker_id: str, timeout: float | None = 60.0) -> WorkerChannel:
        """Wait until the worker opened its stream with StartStream{worker_id}."""
        fut = self.expect(worker_id)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError(
                f"worker {worker_id} did not open its EventStream with StartStream "
                f"within {timeout}s") from None

    async def _event_stream(self, requests: AsyncIterator[pb.StreamingMessage],
                            context: grpc.aio.ServicerContext) -> AsyncIterator[pb.StreamingMessage]:
        incoming = requests.__aiter__()
        first = await self._first_message(incoming, context)
        worker_id = first.start_stream.worker_id
        fut = self._expected.get(worker_id)
        if fut is None or fut.done():
            problem = "unknown worker id" if fut is None else "worker id already connected"
            await self._reject(context, worker_id, problem)
        channel = WorkerChannel(worker_id, first.request_id, on_log=self.on_log)
        self.channels[worker_id] = channel
        channel.attach(incoming)
        fut.set_result(channel)
        try:
            async for msg in channel.outgoing():
                yield msg
            channel.mark_gone("the host closed the stream")
        finally:
            channel.mark_gone("the stream was cancelled (worker disconnected or server stopped)")

    async def _first_message(self, incoming: AsyncIterator[pb.StreamingMessage],
                             context: grpc.aio.ServicerContext) -> pb.StreamingMessage:
        try:
            first = await asyncio.wait_for(incoming.__anext__(), self.first_message_timeout)
        except StopAsyncIteration:
            await self._reject(context, "", "stream ended before StartStream")
        except asyncio.TimeoutError:
            await self._reject(context, "", "no StartStream in time")
        if first.WhichOneof("content") != "start_stream":
            await self._reject(context, "", f"first message was {first.WhichOneof('content')}, "
                                            "not start_stream")
        return first

    async def _reject(self, context: grpc.aio.ServicerContext, worker_id: str,
                      problem: str) -> NoReturn:
        self.rejected.append((worker_id, problem))
        _log.warning("rejected EventStream (worker id %r): %s", worker_id, problem)
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, problem)
        raise AssertionError("context.abort returned")  # abort always raises


# --------------------------------------------------------------------------------------------
# building requests like the host does
# --------------------------------------------------------------------------------------------

_DIRECTIONS = {"in": pb.BindingInfo.Direction.Value("in"),
               "out": pb.BindingInfo.Direction.Value("out"),
               "inout": pb.BindingInfo.Direction.Value("inout")}
_DATA_TYPES = {"string": pb.BindingInfo.DataType.Value("string"),
               "binary": pb.BindingInfo.DataType.Value("binary"),
               "stream": pb.BindingInfo.DataType.Value("stream")}


def _read_function_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise FunctionJsonError(path, "", f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise FunctionJsonError(
            path, "", f"not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from exc
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FunctionJsonError(
            path, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(config, dict):
        raise FunctionJsonError(path, "", "the top level must be a JSON object")
    return config


def _optional_str(config: Mapping[str, Any], path: str, key: str) -> str:
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FunctionJsonError(path, key, f"must be a string, got {type(value).__name__}")
    return value


def _binding_field(binding: Mapping[str, Any], path: str, where: str, key: str,
                   required: bool = True) -> str:
    """Binding keys are matched case-insensitively, as the host does."""
    for k, v in binding.items():
        if k.lower() == key.lower():
            if not isinstance(v, str) or (required and not v):
                raise FunctionJsonError(path, f"{where}.{key}", "must be a non-empty string")
            return v
    if required:
        raise FunctionJsonError(path, f"{where}.{key}", "missing")
    return ""


def _binding_info(binding: Any, path: str, index: int) -> tuple[str, pb.BindingInfo]:
    where = f"bindings[{index}]"
    if not isinstance(binding, dict):
        raise FunctionJsonError(path, where, "each binding must be a JSON object")
    name = _binding_field(binding, path, where, "name")
    type_ = _binding_field(binding, path, where, "type")
    direction = _binding_field(binding, path, where, "direction")
    data_type = _binding_field(binding, path, where, "dataType", required=False)
    if direction.lower() not in _DIRECTIONS:
        raise FunctionJsonError(path, f"{where}.direction",
                                f"invalid value {direction!r} (expected in, out or inout)")
    info = pb.BindingInfo(type=type_, direction=_DIRECTIONS[direction.lower()])
    if data_type:
        if data_type.lower() not in _DATA_TYPES:
            raise FunctionJsonError(path, f"{where}.dataType", f"invalid value {data_type!r} "
                                    "(expected string, binary or stream)")
        info.data_type = _DATA_TYPES[data_type.lower()]
    return name, info


def v1_metadata_from_folder(function_dir: str) -> pb.RpcFunctionMetadata:
    """Read ``<function_dir>/function.json`` into load-request metadata, as the host does."""
    folder = os.path.abspath(function_dir)
    path = os.path.join(folder, "function.json")
    config = _read_function_json(path)
    script = _optional_str(config, path, "scriptFile") or "__init__.py"
    metadata = pb.RpcFunctionMetadata(
        name=os.path.basename(folder), directory=folder,
        script_file=os.path.normpath(os.path.join(folder, script)),
        entry_point=_optional_str(config, path, "entryPoint"),
        is_proxy=False, language="python")
    if "bindings" not in config:
        raise FunctionJsonError(path, "bindings", "missing")
    bindings = config["bindings"]
    if not isinstance(bindings, list):
        raise FunctionJsonError(path, "bindings", "must be a list")
    for index, binding in enumerate(bindings):
        name, info = _binding_info(binding, path, index)
        if name in metadata.bindings:
            raise FunctionJsonError(path, f"bindings[{index}].name", f"duplicate name {name!r}")
        metadata.bindings[name].CopyFrom(info)
    return metadata


def indexed_load_metadata(indexed: pb.RpcFunctionMetadata, function_id: str = "") -> pb.RpcFunctionMetadata:
    """What the host echoes in a FunctionLoadRequest for a function the worker indexed:
    the indexed metadata without raw_bindings and status, plus properties["FunctionId"]."""
    metadata = pb.RpcFunctionMetadata()
    metadata.CopyFrom(indexed)
    metadata.ClearField("raw_bindings")
    metadata.ClearField("status")
    metadata.function_id = function_id or indexed.function_id
    metadata.properties["FunctionId"] = metadata.function_id
    return metadata


def discover_v1_functions(app_dir: str) -> list[tuple[str, pb.RpcFunctionMetadata]]:
    """Every subfolder of the app holding a function.json, with a fresh function id each."""
    found = []
    root = os.path.abspath(app_dir)
    for entry in sorted(os.listdir(root)):
        folder = os.path.join(root, entry)
        if os.path.isfile(os.path.join(folder, "function.json")):
            function_id = str(uuid.uuid4())
            metadata = v1_metadata_from_folder(folder)
            metadata.properties["FunctionId"] = function_id
            found.append((function_id, metadata))
    return found


def _pairs(values: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if values is None:
        return []
    if isinstance(values, Mapping):
        return list(values.items())
    return list(values)


def _joined(pairs: list[tuple[str, str]], lower: bool) -> dict[str, str]:
    """Repeated names are joined with ',' (as ASP.NET Core presents them to the host)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower() if lower else name
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def http_request(method: str, url: str,
                 headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                 query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                 params: Mapping[str, str] | None = None,
                 body: bytes | None = None) -> pb.TypedData:
    """An HTTP trigger input as the host sends it to a worker with RawHttpBodyBytes/RpcHttpBodyOnly.

    ``query`` defaults to the URL's query string; empty query values are dropped.
    """
    if query is None:
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    http = pb.RpcHttp(
        method=method.upper(), url=url,
        headers=_joined(_pairs(headers), lower=True),
        query={k: v for k, v in _joined(_pairs(query), lower=False).items() if v},
        params=dict(params or {}))
    if body:
        http.body.bytes = bytes(body)
    return pb.TypedData(http=http)


def build_invocation(function_id: str, inputs: Mapping[str, pb.TypedData] | None = None,
                     trigger_metadata: Mapping[str, pb.TypedData] | None = None,
                     invocation_id: str | None = None,
                     trace_parent: str | None = None) -> pb.InvocationRequest:
    """An InvocationRequest with one ParameterBinding per input (fresh uuid id unless given)."""
    iid = invocation_id or str(uuid.uuid4())
    request = pb.InvocationRequest(
        invocation_id=iid, function_id=function_id,
        input_data=[pb.ParameterBinding(name=n, data=d) for n, d in (inputs or {}).items()])
    for name, value in (trigger_metadata or {}).items():
        request.trigger_metadata[name].CopyFrom(value)
    # the host always sends the current activity as a W3C traceparent
    request.trace_context.trace_parent = trace_parent or (
        f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00")
    return request
