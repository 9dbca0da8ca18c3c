"""Copies a blob (bytes) to another; answers its size and the map files present while it runs."""
import hashlib
import json
import os

import azure.functions as func


def maps_present() -> list:
    """The shared-memory map files that exist while the function runs."""
    base = (os.environ.get("FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES") or "/dev/shm").split(",")[0]
    folder = os.path.join(base, "AzureFunctions")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def main(req: func.HttpRequest, inp: bytes, copy: func.Out[bytes]) -> func.HttpResponse:
    if inp is None:
        return func.HttpResponse("no such blob", status_code=404)
    if req.params.get("fail"):
        raise RuntimeError("failing on purpose")
    if req.params.get("crash"):
        os._exit(3)  # the worker process dies mid-invocation
    copy.set(inp)
    body = {"size": len(inp), "sha256": hashlib.sha256(inp).hexdigest(), "maps": maps_present()}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")
