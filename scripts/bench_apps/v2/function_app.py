"""Benchmark app, v2 programming model: the same four functions as bench_apps/v1, via decorators."""

import asyncio

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.function_name(name="HttpEchoSync")
@app.route(route="HttpEchoSync", methods=["POST"])
def http_echo_sync(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())


@app.function_name(name="HttpEchoAsync")
@app.route(route="HttpEchoAsync", methods=["POST"])
async def http_echo_async(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())


@app.function_name(name="SleepAsync")
@app.route(route="SleepAsync", methods=["POST"])
async def sleep_async(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0.05)
    return func.HttpResponse(req.get_body())


@app.function_name(name="BytesEcho")
@app.route(route="BytesEcho", methods=["POST"])
async def bytes_echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())
