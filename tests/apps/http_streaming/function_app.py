"""HTTP streaming test app (azurefunctions-extensions-http-fastapi): an SSE stream, a streamed
upload, route values, a JSON answer, a failing function, and a plain `def` one."""

import asyncio
import hashlib
import json
import os
import time

import azure.functions as func
from azurefunctions.extensions.http.fastapi import JSONResponse, Request, StreamingResponse

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: seconds between two events of /api/sse (the test reads them as they come)
EVENT_GAP = float(os.environ.get("SSE_EVENT_GAP", "0.3"))


@app.route(route="sse", methods=["GET"])
async def sse(req: Request) -> StreamingResponse:
    count = int(req.query_params.get("count", "10"))

    async def events():
        for n in range(count):
            yield f"data: {json.dumps({'n': n, 't': time.time()})}\n\n"
            await asyncio.sleep(EVENT_GAP)
        yield f"data: {json.dumps({'done': True, 't': time.time()})}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@app.route(route="upload", methods=["POST"])
async def upload(req: Request) -> JSONResponse:
    """Reads the body as it arrives: how many chunks, how many bytes, and its digest."""
    digest = hashlib.sha256()
    size = chunks = 0
    first_at = None
    async for chunk in req.stream():
        if chunk:
            first_at = first_at or time.time()
            chunks += 1
            size += len(chunk)
            digest.update(chunk)
    return JSONResponse({"size": size, "chunks": chunks, "sha256": digest.hexdigest(), "first_chunk_at": first_at})


@app.route(route="items/{category}/{id:int}", methods=["GET", "POST"])
async def items(req: Request) -> JSONResponse:
    return JSONResponse(
        {"params": dict(req.path_params), "query": dict(req.query_params), "method": req.method},
        headers={"x-items": "yes"},
        status_code=201 if req.method == "POST" else 200,
    )


@app.route(route="plain", methods=["GET"])
def plain(req: Request) -> dict:
    """A plain `def` function: runs on the worker's thread pool; FastAPI sends the dict as JSON."""
    return {"hello": req.query_params.get("name", "world"), "header": req.headers.get("x-test", "")}


@app.route(route="boom", methods=["GET"])
async def boom(req: Request) -> JSONResponse:
    raise ValueError("boom from the streaming function")


@app.route(route="broken", methods=["GET"])
async def broken(req: Request) -> StreamingResponse:
    """Its stream fails after the first event: the response has begun, so it can only be cut."""

    async def events():
        yield "data: first\n\n"
        await asyncio.sleep(0.2)
        raise RuntimeError("the stream broke")

    return StreamingResponse(events(), media_type="text/event-stream")
