"""One worker's EventStream as the host sees it: the outgoing queue, responses routed to the
requests awaiting them by id, and the worker's logs collected."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from quickfunc.host.wire import PreparedInvocation
from quickfunc.protos import pb

__all__ = ["WorkerGone", "WorkerStream"]

_log = logging.getLogger(__name__)

# Responses without an id of their own: matched to requests first-in, first-out.
_FIFO_KINDS = (
    "worker_init_response",
    "function_metadata_response",
    "function_environment_reload_response",
    "close_shared_memory_resources_response",
    "worker_warmup_response",
)


class WorkerGone(Exception):
    """The worker's stream ended while (or before) a request was waiting for its answer."""


class WorkerStream:
    """One connected worker stream: outgoing queue, incoming router, futures keyed by id."""

    def __init__(
        self,
        worker_id: str,
        start_request_id: str = "",
        on_log: Callable[[pb.RpcLog], Any] | None = None,
        keep_logs: bool = False,
    ) -> None:
        self.worker_id = worker_id
        #: ``request_id`` of the worker's StartStream envelope
        self.start_request_id = start_request_id
        self.on_log = on_log
        #: keep every RpcLog in ``logs`` / ``logs_for`` (tests); off, logs only go to ``on_log``
        self.keep_logs = keep_logs
        self.logs: list[pb.RpcLog] = []
        self.unexpected: list[pb.StreamingMessage] = []
        #: capabilities from the last successful init / environment reload
        self.worker_capabilities: dict[str, str] = {}
        #: set once the stream has ended (either side); see ``close_reason``
        self.closed = asyncio.Event()
        self.close_reason = ""
        self._loop = asyncio.get_running_loop()
        self._out: asyncio.Queue[pb.StreamingMessage | PreparedInvocation | bytes | None] = asyncio.Queue()
        self._invocations: dict[str, asyncio.Future] = {}
        self._loads: dict[str, asyncio.Future] = {}
        self._statuses: dict[str, asyncio.Future] = {}
        self._fifo: dict[str, collections.deque[asyncio.Future]] = {kind: collections.deque() for kind in _FIFO_KINDS}
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
        return f"<{type(self).__name__} {self.worker_id} {state}>"

    # ---- stream plumbing (used by RpcServer) ----------------------------------------------

    def attach(self, incoming: AsyncIterator[pb.StreamingMessage]) -> None:
        """Start routing the worker's messages from ``incoming``."""
        self._reader = self._loop.create_task(self._read(incoming), name=f"worker-{self.worker_id}-reader")

    async def outgoing(self) -> AsyncIterator[pb.StreamingMessage | PreparedInvocation | bytes]:
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
            fut.set_exception(
                WorkerGone(f"worker {self.worker_id} is gone ({reason}); {len(pending)} request(s) were pending")
            )
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
        if kind is None:  # an empty message answers nothing
            self.unexpected.append(msg)
            return
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

    def _resolve(self, table: dict[str, asyncio.Future], key: str, value: Any, msg: pb.StreamingMessage) -> None:
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
        assert kind is not None  # routed here by its kind
        waiters = self._fifo[kind]
        fut = waiters.popleft() if waiters else None
        # a waiter that timed out still takes its (late) answer, so pairs stay in order
        if fut is not None and not fut.done():
            fut.set_result(getattr(msg, kind))
        else:
            self.unexpected.append(msg)

    def _on_log(self, msg: pb.StreamingMessage) -> None:
        log = msg.rpc_log
        if self.keep_logs:
            self.logs.append(log)
            if log.invocation_id:
                self._invocation_logs.setdefault(log.invocation_id, []).append(log)
        if self.on_log is not None:
            try:
                self.on_log(log)
            except Exception:
                _log.exception("on_log callback failed for worker %s", self.worker_id)

    def logs_for(self, invocation_id: str) -> list[pb.RpcLog]:
        """The RpcLogs the worker sent with this invocation id (so far; needs ``keep_logs``)."""
        return self._invocation_logs.get(invocation_id, [])

    def clear_logs(self) -> None:
        """Forget collected logs (long benchmark runs)."""
        self.logs.clear()
        self._invocation_logs.clear()

    # ---- request helpers ------------------------------------------------------------------

    def _put(self, msg: pb.StreamingMessage | bytes) -> None:
        self._check_open()
        self._out.put_nowait(msg)

    async def _await(
        self,
        fut: asyncio.Future,
        timeout: float | None,
        what: str,
        forget: Callable[[], Any] | None = None,
    ) -> Any:
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if forget is not None:
                forget()
            raise asyncio.TimeoutError(f"worker {self.worker_id}: no {what} within {timeout}s") from None
        except asyncio.CancelledError:
            if forget is not None:
                forget()
            raise

    async def _keyed(
        self,
        table: dict[str, asyncio.Future],
        key: str,
        msg: pb.StreamingMessage,
        what: str,
        timeout: float | None,
    ) -> Any:
        self._check_open()
        if key in table:
            raise ValueError(f"worker {self.worker_id}: a {what} is already pending")
        fut = self._loop.create_future()
        table[key] = fut
        self._put(msg)
        return await self._await(fut, timeout, what, lambda: table.pop(key, None))

    async def _fifo_request(self, kind: str, msg: pb.StreamingMessage, what: str, timeout: float | None) -> Any:
        self._check_open()
        fut = self._loop.create_future()
        self._fifo[kind].append(fut)
        self._put(msg)
        return await self._await(fut, timeout, what)

    # ---- end of the stream -------------------------------------------------------------------

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
            raise asyncio.TimeoutError(f"worker {self.worker_id}: stream still open after {timeout}s") from None
        return self.close_reason
