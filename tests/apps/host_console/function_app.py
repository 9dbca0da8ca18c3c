"""print() inside invocations (sync, async, a line in pieces, stderr, a thread the function
starts) and outside any, for the local host's console tests."""

import asyncio
import sys
import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

print("console app: printed while importing")


@app.route(route="sync_print")
def sync_print(req: func.HttpRequest) -> func.HttpResponse:
    tag = req.params.get("tag", "")
    print("sync says", tag)
    print("in", end=" ")
    print("pieces", tag)
    print("sync to stderr", tag, file=sys.stderr)
    thread = threading.Thread(target=lambda: print("from a thread", tag))
    thread.start()
    thread.join()
    print("without a newline", tag, end="")
    return func.HttpResponse("printed")


@app.route(route="async_print")
async def async_print(req: func.HttpRequest) -> func.HttpResponse:
    tag = req.params.get("tag", "")
    print("async says", tag)
    await asyncio.sleep(0.01)
    print("async after await", tag)
    return func.HttpResponse("printed")
