"""A v2 app using OpenTelemetry as its docs show: it makes its own spans inside functions (sync,
async, in a thread it starts) and may raise.

With OTEL_TEST_SPANS_FILE set (a worker process in the integration tests) it installs the SDK's
TracerProvider with a SimpleSpanProcessor writing each finished span as a JSON line to that file;
without it (the in-process unit tests) the test process installs the provider.
"""

import asyncio
import os
import threading

import azure.functions as func
from opentelemetry import trace

SPANS_FILE = os.environ.get("OTEL_TEST_SPANS_FILE")
if SPANS_FILE:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class JsonLinesExporter(SpanExporter):
        def export(self, spans):
            with open(SPANS_FILE, "a", encoding="utf-8") as out:
                for span in spans:
                    out.write(span.to_json(indent=None) + "\n")
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter()))
    trace.set_tracer_provider(provider)

tracer = trace.get_tracer("otel-test-app")
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _in_thread():
    with tracer.start_as_current_span("user-thread"):
        pass


@app.route("sync_spans")
def sync_spans(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("user-sync"):
        pass
    worker = threading.Thread(target=_in_thread)
    worker.start()
    worker.join(10)
    return func.HttpResponse("sync ok")


@app.route("async_spans")
async def async_spans(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("user-async"):
        await asyncio.sleep(0)
    return func.HttpResponse("async ok")


@app.route("sync_fails")
def sync_fails(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("user-before-failure"):
        pass
    raise ValueError("sync went wrong")


@app.route("async_fails")
async def async_fails(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    raise KeyError("async went wrong")
