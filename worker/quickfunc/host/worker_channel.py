"""The host's requests to one worker (init, index, load, invoke, status, reload, terminate...),
each sent on its WorkerStream and answered by the worker's response."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Mapping

from quickfunc.host.wire import PreparedInvocation
from quickfunc.host.worker_stream import WorkerStream
from quickfunc.protos import pb

__all__ = ["DEFAULT_HOST_VERSION", "DEFAULT_HOST_CAPABILITIES", "WorkerChannel"]

DEFAULT_HOST_VERSION = "4.1037.0"
DEFAULT_HOST_CAPABILITIES: dict[str, str] = {"MultiStream": "10"}

_SUCCESS = pb.StatusResult.Success


class WorkerChannel(WorkerStream):
    """One connected worker: every request of the protocol, each awaiting its own response."""

    # ---- requests -------------------------------------------------------------------------

    async def init(
        self,
        function_app_directory: str,
        worker_directory: str = "",
        host_version: str = DEFAULT_HOST_VERSION,
        capabilities: Mapping[str, str] | None = None,
        timeout: float | None = 10.0,
    ) -> pb.WorkerInitResponse:
        """Send WorkerInitRequest; return the WorkerInitResponse (default host timeout 10 s)."""
        caps = DEFAULT_HOST_CAPABILITIES if capabilities is None else capabilities
        msg = pb.StreamingMessage(
            worker_init_request=pb.WorkerInitRequest(
                host_version=host_version,
                capabilities=dict(caps),
                worker_directory=worker_directory,
                function_app_directory=function_app_directory,
            )
        )
        resp = await self._fifo_request("worker_init_response", msg, "worker_init_response", timeout)
        if resp.result.status == _SUCCESS:
            self.worker_capabilities = dict(resp.capabilities)
        return resp

    async def functions_metadata(self, app_dir: str, timeout: float | None = 60.0) -> pb.FunctionMetadataResponse:
        """Ask the worker to index the app (FunctionsMetadataRequest)."""
        msg = pb.StreamingMessage(
            functions_metadata_request=pb.FunctionsMetadataRequest(function_app_directory=app_dir)
        )
        return await self._fifo_request("function_metadata_response", msg, "function_metadata_response", timeout)

    async def load(
        self, function_id: str, metadata: pb.RpcFunctionMetadata, timeout: float | None = 60.0
    ) -> pb.FunctionLoadResponse:
        """Send one FunctionLoadRequest; return the response carrying the same function_id."""
        msg = pb.StreamingMessage(
            function_load_request=pb.FunctionLoadRequest(function_id=function_id, metadata=metadata)
        )
        return await self._keyed(
            self._loads,
            function_id,
            msg,
            f"function_load_response for function {function_id}",
            timeout,
        )

    async def load_collection(
        self, requests: list[pb.FunctionLoadRequest], timeout: float | None = 60.0
    ) -> list[pb.FunctionLoadResponse]:
        """Send one FunctionLoadRequestCollection; return the responses in request order."""
        self._check_open()
        ids = [r.function_id for r in requests]
        if len(set(ids)) != len(ids) or any(i in self._loads for i in ids):
            raise ValueError(f"worker {self.worker_id}: duplicate or already pending function ids")
        futs = [self._loop.create_future() for _ in ids]
        self._loads.update(zip(ids, futs, strict=True))
        self._put(
            pb.StreamingMessage(
                function_load_request_collection=(pb.FunctionLoadRequestCollection(function_load_requests=requests))
            )
        )

        try:
            return list(await asyncio.wait_for(asyncio.gather(*futs), timeout))
        except asyncio.TimeoutError:
            missing = [i for i, f in zip(ids, futs, strict=True) if not (f.done() and not f.cancelled())]
            raise asyncio.TimeoutError(
                f"worker {self.worker_id}: no function_load_response for functions "
                f"{', '.join(missing)} within {timeout}s"
            ) from None
        finally:
            for i in ids:
                self._loads.pop(i, None)

    async def invoke(
        self, request: pb.InvocationRequest | PreparedInvocation, timeout: float | None = 60.0
    ) -> pb.InvocationResponse:
        """Send an InvocationRequest (or one already serialised, see wire.py); return the
        InvocationResponse with its invocation_id."""
        if self.closed.is_set():
            self._check_open()
        iid = request.invocation_id
        fut = self._loop.create_future()
        if self._invocations.setdefault(iid, fut) is not fut:
            raise ValueError(f"worker {self.worker_id}: invocation {iid} is already pending")
        self._out.put_nowait(
            request if isinstance(request, PreparedInvocation) else pb.StreamingMessage(invocation_request=request)
        )
        handle = None if timeout is None else self._loop.call_later(timeout, self._expire_invocation, iid, timeout)
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
            fut.set_exception(
                asyncio.TimeoutError(
                    f"worker {self.worker_id}: no invocation_response for invocation {invocation_id} within {timeout}s"
                )
            )

    async def status(self, timeout: float | None = 10.0) -> float:
        """Round-trip a WorkerStatusRequest (fresh request_id); return the seconds it took."""
        request_id = str(uuid.uuid4())
        msg = pb.StreamingMessage(request_id=request_id, worker_status_request=pb.WorkerStatusRequest())
        start = time.perf_counter()
        await self._keyed(
            self._statuses,
            request_id,
            msg,
            f"worker_status_response for request {request_id}",
            timeout,
        )
        return time.perf_counter() - start

    async def reload_environment(
        self,
        env: Mapping[str, str],
        app_dir: str,
        worker_directory: str = "",
        timeout: float | None = 30.0,
    ) -> pb.FunctionEnvironmentReloadResponse:
        """Specialize a placeholder worker: send the complete new environment and app dir."""
        variables = {k: v for k, v in env.items() if v}
        variables.setdefault("FUNCTIONS_APPLICATION_DIRECTORY", app_dir)
        if worker_directory:
            variables.setdefault("FUNCTIONS_WORKER_DIRECTORY", worker_directory)
        msg = pb.StreamingMessage(
            function_environment_reload_request=pb.FunctionEnvironmentReloadRequest(
                environment_variables=variables, function_app_directory=app_dir
            )
        )
        resp = await self._fifo_request(
            "function_environment_reload_response",
            msg,
            "function_environment_reload_response",
            timeout,
        )
        if resp.result.status == _SUCCESS:
            self.worker_capabilities.update(resp.capabilities)
        return resp

    async def close_shared_memory(
        self,
        map_names: Iterable[str],
        timeout: float | None = 10.0,
    ) -> pb.CloseSharedMemoryResourcesResponse:
        """Ask the worker to drop the named shared-memory maps."""
        msg = pb.StreamingMessage(
            close_shared_memory_resources_request=(pb.CloseSharedMemoryResourcesRequest(map_names=list(map_names)))
        )
        return await self._fifo_request(
            "close_shared_memory_resources_response",
            msg,
            "close_shared_memory_resources_response",
            timeout,
        )

    async def warmup(self, worker_directory: str = "", timeout: float | None = 90.0) -> pb.WorkerWarmupResponse:
        """Send WorkerWarmupRequest (only for workers advertising HandlesWorkerWarmupMessage)."""
        msg = pb.StreamingMessage(worker_warmup_request=pb.WorkerWarmupRequest(worker_directory=worker_directory))
        return await self._fifo_request("worker_warmup_response", msg, "worker_warmup_response", timeout)

    async def cancel(self, invocation_id: str) -> None:
        """Send InvocationCancel (fire and forget)."""
        self._put(pb.StreamingMessage(invocation_cancel=pb.InvocationCancel(invocation_id=invocation_id)))

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

    async def send_raw(self, data: bytes) -> None:
        """Queue bytes that go on the wire unchanged as one message (tests: what a worker
        does with a message it cannot decode)."""
        self._put(bytes(data))
