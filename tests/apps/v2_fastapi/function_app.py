"""A FastAPI app served through func.AsgiFunctionApp (routes as if host.json routePrefix were "")."""
import asyncio
import logging
import os
from contextlib import asynccontextmanager
from typing import Optional

import azure.functions as func
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

lifespan_state = {"started": 0}


@asynccontextmanager
async def lifespan(_: FastAPI):
    lifespan_state["started"] += 1
    yield
    if os.environ.get("V2_LIFESPAN_LOG"):  # shutdown handlers run when the worker exits
        with open(os.environ["V2_LIFESPAN_LOG"], "a", encoding="utf-8") as log:
            log.write("shutdown\n")


fast = FastAPI(lifespan=lifespan)


@fast.get("/items/{item_id}")
async def read_item(item_id: int, q: Optional[str] = None) -> dict:
    return {"item_id": item_id, "q": q}


@fast.post("/echo")
async def echo(request: Request) -> dict:
    return {"got": await request.json(), "content_type": request.headers.get("content-type")}


@fast.get("/sleep")
async def sleep(seconds: float = 0.2) -> dict:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@fast.get("/created")
async def created() -> JSONResponse:
    return JSONResponse({"ok": True}, status_code=201, headers={"X-App": "fastapi"})


@fast.get("/started")
async def started() -> dict:
    return {"started": lifespan_state["started"]}


@fast.get("/invocation")
async def invocation(request: Request) -> dict:
    logging.info("fastapi handled %s", request.url.path)
    return {"invocation_id": request.scope.get("azure_functions.invocation_id")}


app = func.AsgiFunctionApp(app=fast, http_auth_level=func.AuthLevel.ANONYMOUS)
