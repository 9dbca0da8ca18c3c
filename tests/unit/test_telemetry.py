"""OpenTelemetry in an in-process worker: the capability, a span per invocation parented on the
host's traceparent, user spans (async, sync, in a thread the function starts) under it, failures,
the Azure Monitor distro configured once, and nothing at all when it is off."""

from __future__ import annotations

import logging
import os
import sys
import types
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from quickfunc import telemetry
from quickfunc.host.request_builders import http_request
from quickfunc.protos import pb
from quickfunc.settings import Settings
from tests.helpers import FAILURE, SUCCESS, app_path

APP = app_path("v2_otel")
CAPABILITY = "WorkerOpenTelemetryEnabled"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
HOST_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{HOST_SPAN_ID}-01"
ON = {"PYTHON_ENABLE_OPENTELEMETRY": "true"}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The finished spans of this test, from the process's SDK tracer provider (installed once:
    OpenTelemetry lets a process set its global provider only once)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # later spans are not kept


def _worker(worker_harness, env: dict[str, str]):
    worker = worker_harness(APP, env=env)
    worker.load_v2_app()
    return worker


def _call(worker, name: str, **kw) -> pb.InvocationResponse:
    return worker.invoke(name, {"req": http_request("GET", f"http://localhost/api/{name}")}, **kw)


def _by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def test_with_the_setting_the_capability_is_advertised(worker_harness):
    worker = worker_harness(APP, env=ON)
    assert worker.init_response.capabilities[CAPABILITY] == "true"


@pytest.mark.parametrize("value", [None, "false", "0", "no", ""])
def test_without_a_true_setting_there_is_no_capability_and_no_span(worker_harness, spans, value):
    env = {} if value is None else {"PYTHON_ENABLE_OPENTELEMETRY": value}
    worker = _worker(worker_harness, env)
    assert CAPABILITY not in worker.init_response.capabilities
    assert _call(worker, "sync_spans", trace_parent=TRACEPARENT).result.status == SUCCESS
    assert _call(worker, "async_spans", trace_parent=TRACEPARENT).result.status == SUCCESS
    found = _by_name(spans)
    assert "sync_spans" not in found and "async_spans" not in found
    # the user's own spans are still made, as roots: no context was attached for them
    assert found["user-sync"].parent is None


@pytest.mark.parametrize(
    "name, user_spans", [("sync_spans", ["user-sync", "user-thread"]), ("async_spans", ["user-async"])]
)
def test_each_invocation_has_a_span_under_the_host_traceparent_with_the_user_spans_under_it(
    worker_harness, spans, name, user_spans
):
    worker = _worker(worker_harness, ON)
    response = _call(worker, name, trace_parent=TRACEPARENT, trace_state="vendor=x")
    assert response.result.status == SUCCESS
    found = _by_name(spans)
    span = found[name]
    assert _hex(span.context.trace_id, 32) == TRACE_ID
    assert span.parent is not None and _hex(span.parent.span_id, 16) == HOST_SPAN_ID and span.parent.is_remote
    assert span.context.trace_state.get("vendor") == "x"
    assert span.kind == SpanKind.INTERNAL
    assert span.status.status_code == StatusCode.UNSET
    assert span.attributes is not None
    assert span.attributes["faas.invocation_id"] == response.invocation_id
    assert span.attributes["faas.trigger"] == "http"
    assert span.attributes["code.function.name"] == f"function_app.{name}"
    for user in user_spans:
        user_parent = found[user].parent
        assert user_parent is not None and user_parent.span_id == span.context.span_id, user
        assert found[user].context.trace_id == span.context.trace_id


@pytest.mark.parametrize("name, error", [("sync_fails", "ValueError: sync went wrong"), ("async_fails", "KeyError")])
def test_a_failed_invocation_ends_its_span_with_status_error_and_the_exception(worker_harness, spans, name, error):
    worker = _worker(worker_harness, ON)
    assert _call(worker, name, trace_parent=TRACEPARENT).result.status == FAILURE
    span = _by_name(spans)[name]
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description is not None and span.status.description.startswith(error)
    events = [e for e in span.events if e.name == "exception"]
    assert len(events) == 1 and events[0].attributes is not None
    assert events[0].attributes["exception.type"] == error.split(":")[0]


def test_invocations_do_not_share_or_leak_their_context(worker_harness, spans):
    worker = _worker(worker_harness, {**ON, "PYTHON_THREADPOOL_THREAD_COUNT": "1"})
    other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    for parent in (TRACEPARENT, other):
        assert _call(worker, "sync_spans", trace_parent=parent).result.status == SUCCESS
    invocations = [s for s in spans.get_finished_spans() if s.name == "sync_spans"]
    assert [_hex(s.context.trace_id, 32) for s in invocations] == [TRACE_ID, "0af7651916cd43dd8448eb211c80319c"]
    # the pool thread is back to no span: a span started outside any invocation is a root
    assert trace.get_current_span() is trace.INVALID_SPAN


@pytest.mark.parametrize("parent", ["", "garbage", f"00-{'0' * 32}-{HOST_SPAN_ID}-01"])
def test_without_a_valid_traceparent_the_invocation_span_starts_a_new_trace(worker_harness, spans, parent):
    worker = _worker(worker_harness, ON)
    request_parent = parent or None
    response = _call(worker, "async_spans", trace_parent=request_parent)
    assert response.result.status == SUCCESS
    found = _by_name(spans)
    if parent:
        assert found["async_spans"].parent is None
    assert found["user-async"].parent.span_id == found["async_spans"].context.span_id  # type: ignore[union-attr]


def test_an_unsampled_traceparent_is_respected(worker_harness, spans):
    worker = _worker(worker_harness, ON)
    assert _call(worker, "sync_spans", trace_parent=f"00-{TRACE_ID}-{HOST_SPAN_ID}-00").result.status == SUCCESS
    assert spans.get_finished_spans() == ()


def test_without_the_opentelemetry_api_the_worker_says_so_and_functions_still_run(worker_harness, monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    worker = worker_harness(app_path("v2_basic"), env=ON)
    assert CAPABILITY not in worker.init_response.capabilities
    assert any("opentelemetry-api" in e for e in worker.system_errors())
    worker.load_v2_app()
    response = worker.invoke("hello", {"req": http_request("GET", "http://localhost/api/hello?name=Ada")})
    assert response.result.status == SUCCESS, response.result.exception.message


class _FakeDistro:
    """`azure.monitor.opentelemetry` as far as the worker uses it: counts configurations and, as
    the distro does, adds a log handler to the logger it is given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []
        self.handlers: list[logging.Handler] = []

    def configure_azure_monitor(self, **kw: object) -> None:
        self.calls.append(kw)
        handler = logging.NullHandler()
        self.handlers.append(handler)
        logging.getLogger(str(kw.get("logger_name") or "")).addHandler(handler)


@pytest.fixture
def distro(monkeypatch) -> Iterator[_FakeDistro]:
    fake = _FakeDistro()
    module = types.ModuleType("azure.monitor.opentelemetry")
    module.configure_azure_monitor = fake.configure_azure_monitor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.monitor", types.ModuleType("azure.monitor"))
    monkeypatch.setitem(sys.modules, "azure.monitor.opentelemetry", module)
    monkeypatch.setattr(telemetry, "_azure_monitor_configured", False)
    monkeypatch.delenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", raising=False)
    yield fake
    for handler in fake.handlers:
        for logger in (logging.getLogger(), logging.getLogger("app.logs")):
            logger.removeHandler(handler)


def test_the_azure_monitor_setting_configures_the_distro_once_so_logs_are_not_exported_twice(
    worker_harness, distro, spans, tmp_path
):
    env = {
        "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "1",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        "PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME": "app.logs",
    }
    worker = _worker(worker_harness, env)
    assert worker.init_response.capabilities[CAPABILITY] == "true"
    assert distro.calls == [
        {"connection_string": env["APPLICATIONINSIGHTS_CONNECTION_STRING"], "logger_name": "app.logs"}
    ]
    assert os.environ["OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"] == "azure_functions"  # the distro's Functions detector
    assert worker.run(worker.channel.reload_environment(env, APP)).capabilities[CAPABILITY] == "true"
    assert len(distro.calls) == 1  # a second distro would add a second log handler: every log twice
    assert len(logging.getLogger("app.logs").handlers) == 1
    assert _call(worker, "sync_spans", trace_parent=TRACEPARENT).result.status == SUCCESS
    assert _by_name(spans)["sync_spans"].parent.span_id == int(HOST_SPAN_ID, 16)  # type: ignore[union-attr]


def test_when_the_distro_is_missing_the_worker_says_so_and_does_not_claim_the_capability(worker_harness, monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.monitor.opentelemetry", None)
    monkeypatch.setattr(telemetry, "_azure_monitor_configured", False)
    worker = worker_harness(APP, env={"PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true"})
    assert CAPABILITY not in worker.init_response.capabilities
    assert any("azure-monitor-opentelemetry" in e for e in worker.system_errors())


def test_an_environment_reload_that_turns_it_on_advertises_it_and_spans_follow(worker_harness, spans):
    worker = worker_harness(APP)
    assert CAPABILITY not in worker.init_response.capabilities
    response = worker.run(worker.channel.reload_environment(ON, APP))
    assert response.result.status == SUCCESS and response.capabilities[CAPABILITY] == "true"
    worker.load_v2_app()
    assert _call(worker, "async_spans", trace_parent=TRACEPARENT).result.status == SUCCESS
    assert _by_name(spans)["async_spans"].parent.span_id == int(HOST_SPAN_ID, 16)  # type: ignore[union-attr]


def test_settings_read_the_switches_as_true_like_words():
    assert Settings.from_env({"PYTHON_ENABLE_OPENTELEMETRY": "Yes"}).opentelemetry
    assert not Settings.from_env({"PYTHON_ENABLE_OPENTELEMETRY": "false"}).opentelemetry
    assert Settings.from_env({"PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "1"}).azure_monitor
    assert telemetry.setup(Settings.from_env({})) == (None, {})


def test_when_off_the_worker_does_not_import_its_telemetry_module(worker_harness, monkeypatch):
    monkeypatch.delitem(sys.modules, "quickfunc.telemetry")
    worker = _worker(worker_harness, {})
    assert _call(worker, "async_spans").result.status == SUCCESS
    assert "quickfunc.telemetry" not in sys.modules
    assert worker.state.tracer is None
