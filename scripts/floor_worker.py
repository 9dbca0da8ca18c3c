"""The floor: the leanest worker that speaks the protocol, answering every invocation at once.

It dials with grpclib, the worker's own gRPC client, so that worker/floor is what the worker adds.

Usage (as the host launches it): ``python scripts/floor_worker.py --functions-uri http://H:P/ ...``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import urllib.parse

from grpclib.client import Channel
from grpclib.const import Cardinality
from grpclib.exceptions import GRPCError, StreamTerminatedError

try:
    from quickfunc.protos import EVENT_STREAM_METHOD, pb
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from quickfunc.protos import EVENT_STREAM_METHOD, pb

CAPABILITIES = {
    "RawHttpBodyBytes": "true",
    "RpcHttpBodyOnly": "true",
    "RpcHttpTriggerMetadataRemoved": "true",
    "TypedDataCollection": "true",
    "WorkerStatus": "true",
}
SUCCESS = pb.StatusResult.Success
Msg = pb.StreamingMessage


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Both flag styles; ``--functions-*`` win over the legacy ones."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workerId")
    p.add_argument("--requestId")
    p.add_argument("--grpcMaxMessageLength", type=int)
    p.add_argument("--functions-uri")
    p.add_argument("--functions-worker-id")
    p.add_argument("--functions-request-id")
    p.add_argument("--functions-grpc-max-message-length", type=int)
    a, _ = p.parse_known_args(argv)
    if a.functions_uri:
        uri = urllib.parse.urlsplit(a.functions_uri)
        a.host, a.port = uri.hostname, uri.port
    a.worker_id = a.functions_worker_id or a.workerId
    a.request_id = a.functions_request_id or a.requestId or ""
    if not (a.host and a.port and a.worker_id):
        p.error("need --functions-uri (or --host/--port) and --functions-worker-id (or --workerId)")
    return a


def invocation_response(req: pb.InvocationRequest) -> pb.StreamingMessage:
    """Canned 200 echoing the HTTP request body (if any)."""
    body = b""
    for binding in req.input_data:
        if binding.data.HasField("http"):
            body = binding.data.http.body.bytes
            break
    return Msg(
        invocation_response=pb.InvocationResponse(
            invocation_id=req.invocation_id,
            result=pb.StatusResult(status=SUCCESS),
            return_value=pb.TypedData(http=pb.RpcHttp(status_code="200", body=pb.TypedData(bytes=body))),
        )
    )


def answer(msg: pb.StreamingMessage, request_id: str) -> pb.StreamingMessage | None:
    """The reply to one host message (None: nothing to send)."""
    kind = msg.WhichOneof("content")
    if kind == "invocation_request":
        return invocation_response(msg.invocation_request)
    if kind == "worker_status_request":
        return Msg(request_id=msg.request_id, worker_status_response=pb.WorkerStatusResponse())
    if kind == "function_load_request":
        return Msg(
            request_id=request_id,
            function_load_response=pb.FunctionLoadResponse(
                function_id=msg.function_load_request.function_id,
                result=pb.StatusResult(status=SUCCESS),
            ),
        )
    if kind == "worker_init_request":
        return Msg(
            request_id=request_id,
            worker_init_response=pb.WorkerInitResponse(
                capabilities=CAPABILITIES, result=pb.StatusResult(status=SUCCESS)
            ),
        )
    if kind == "functions_metadata_request":
        return Msg(
            request_id=msg.request_id,
            function_metadata_response=(
                pb.FunctionMetadataResponse(use_default_metadata_indexing=True, result=pb.StatusResult(status=SUCCESS))
            ),
        )
    return None


async def run(args: argparse.Namespace) -> int:
    """Open the stream, send StartStream, answer until the host ends the stream."""
    channel = Channel(args.host, args.port)
    try:
        async with channel.request(EVENT_STREAM_METHOD, Cardinality.STREAM_STREAM, Msg, Msg) as call:
            await call.send_message(
                Msg(request_id=args.request_id, start_stream=pb.StartStream(worker_id=args.worker_id))
            )
            send = call.send_message
            async for msg in call:
                reply = answer(msg, args.request_id)
                if reply is not None:
                    await send(reply)
            await call.end()
    except (GRPCError, StreamTerminatedError) as exc:
        print(f"floor worker: stream failed: {exc}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
