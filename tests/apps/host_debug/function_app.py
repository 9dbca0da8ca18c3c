"""Test app for the local host's --debug: a function that outlives the tiny functionTimeout of
host.json, and one that calls breakpoint()."""

import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"hello from {os.getpid()}")


@app.route(route="slow")
def slow(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.params.get("sleep", "2")))  # host.json functionTimeout is 1 s
    return func.HttpResponse("slept")


@app.route(route="stop")
def stop_here(req: func.HttpRequest) -> func.HttpResponse:
    breakpoint()  # the line test_host_debug.py looks for
    return func.HttpResponse("went on")


@app.route(route="crash")
def crash(req: func.HttpRequest) -> func.HttpResponse:
    os._exit(3)  # the host restarts the worker, which listens for the debugger again
