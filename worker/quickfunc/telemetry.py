"""OpenTelemetry: a span per invocation under the host's W3C trace context, current while the function
runs, and the Azure Monitor distro when asked for; imported only when a setting turns it on."""

# As the platform's worker after 4.34: PYTHON_ENABLE_OPENTELEMETRY means the app sets OpenTelemetry
# up itself (the spans go to whatever tracer provider it installs); PYTHON_APPLICATIONINSIGHTS_
# ENABLE_TELEMETRY means the worker configures the distro before the app is imported. Either one
# that worked makes the worker advertise WorkerOpenTelemetryEnabled: the host then stops exporting
# the logs the worker relays to it, so each log reaches the exporter once (RpcLogs are still sent).

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from .console import SYSTEM_LOGGER

if TYPE_CHECKING:
    from .functions.registry import FunctionInfo
    from .invocation import Handover
    from .settings import Settings

log = logging.getLogger(SYSTEM_LOGGER)

#: the worker capability telling the host that the worker exports its own telemetry (protocol §6.1)
CAPABILITY = "WorkerOpenTelemetryEnabled"
#: instrumentation scope of the invocation spans
SCOPE = "quickfunc.invocation"

#: trigger binding type (lower case) → OpenTelemetry `faas.trigger` value
_TRIGGERS = {
    "httptrigger": "http",
    "timertrigger": "timer",
    "queuetrigger": "pubsub",
    "servicebustrigger": "pubsub",
    "eventhubtrigger": "pubsub",
    "eventgridtrigger": "pubsub",
    "kafkatrigger": "pubsub",
    "rabbitmqtrigger": "pubsub",
    "webpubsubtrigger": "pubsub",
    "blobtrigger": "datasource",
    "cosmosdbtrigger": "datasource",
    "sqltrigger": "datasource",
    "mysqltrigger": "datasource",
}

#: the distro was configured in this process (a second configuration would export everything twice)
_azure_monitor_configured = False


def setup(settings: Settings) -> tuple[InvocationTracer | None, dict[str, str]]:
    """Set up what the settings ask for: the invocation tracer (None when nothing is on or the
    OpenTelemetry API is missing) and the capabilities to advertise."""
    if not (settings.opentelemetry or settings.azure_monitor):
        return None, {}
    names = " and ".join(
        name
        for name, on in (
            ("PYTHON_ENABLE_OPENTELEMETRY", settings.opentelemetry),
            ("PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY", settings.azure_monitor),
        )
        if on
    )
    try:
        tracer = InvocationTracer()
    except ImportError as exc:
        log.error(
            "%s is set, but the OpenTelemetry API cannot be imported (%s): add opentelemetry-api and "
            "opentelemetry-sdk (or azure-monitor-opentelemetry) to the app's requirements.txt. Functions "
            "run without spans, and the host keeps exporting the worker's logs.",
            names,
            exc,
        )
        return None, {}
    exported = settings.opentelemetry
    if settings.azure_monitor:
        exported = _configure_azure_monitor(settings) or exported
    if not exported:
        return None, {}
    log.info("OpenTelemetry on (%s): a span per invocation, under the host's trace context", names)
    return tracer, {CAPABILITY: "true"}


def _configure_azure_monitor(settings: Settings) -> bool:
    """Configure the Azure Monitor distro once per process; False (and an error log) if it fails."""
    global _azure_monitor_configured
    if _azure_monitor_configured:
        return True
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as exc:
        log.error(
            "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY is set, but the Azure Monitor distro cannot be "
            "imported (%s): add azure-monitor-opentelemetry to the app's requirements.txt",
            exc,
        )
        return False
    # the distro's resource detector for Functions, as the platform's worker asks for it
    os.environ.setdefault("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "azure_functions")
    try:
        configure_azure_monitor(
            connection_string=settings.appinsights_connection_string,
            logger_name=settings.appinsights_logger_name,
        )
    except Exception:
        log.exception("configuring the Azure Monitor distro failed; its telemetry is not exported")
        return False
    _azure_monitor_configured = True
    log.info("Azure Monitor distro configured")
    return True


class InvocationSpan:
    """The span of one running invocation, current in its context until `end`."""

    __slots__ = ("_span", "_token", "_detach")

    def __init__(self, span: Any, token: object, detach: Any) -> None:
        self._span = span
        self._token = token
        self._detach = detach

    def failed(self, exc: BaseException) -> None:
        """Mark the invocation failed with `exc` (status ERROR, the exception recorded)."""
        try:
            from opentelemetry.trace import Status, StatusCode

            self._span.record_exception(exc, escaped=True)
            self._span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        except Exception:
            log.exception("could not record the failure on the invocation's span")

    def end(self) -> None:
        try:
            self._detach(self._token)
        finally:
            try:
                self._span.end()
            except Exception:
                log.exception("could not end the invocation's span")


class InvocationTracer:
    """Starts invocation spans on the global tracer provider (the app's, whenever it installs one)."""

    def __init__(self) -> None:
        from opentelemetry import context, trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        from . import __version__

        self._attach = context.attach
        self._detach = context.detach
        self._in_context = trace.set_span_in_context
        self._propagator = TraceContextTextMapPropagator()
        # a proxy until the app installs a provider, then that provider's tracer
        self._tracer = trace.get_tracer(SCOPE, __version__)
        # the host's own span is the server span of the request; this one runs inside it
        self._kind = trace.SpanKind.INTERNAL
        self._broken = False

    def start(self, info: FunctionInfo, handover: Handover) -> InvocationSpan | None:
        """Start the span of an invocation and make it current; None if that fails (logged once)."""
        try:
            carrier = {}
            trace_context = handover.trace_context()
            if trace_context is not None and trace_context.trace_parent:
                carrier["traceparent"] = trace_context.trace_parent
                if trace_context.trace_state:
                    carrier["tracestate"] = trace_context.trace_state
            parent = self._propagator.extract(carrier)  # no (valid) traceparent: a new trace
            func = info.func
            span = self._tracer.start_span(
                info.name,
                context=parent,
                kind=self._kind,
                attributes={
                    "faas.invocation_id": handover.invocation_id,
                    "faas.trigger": _TRIGGERS.get((info.trigger_type or "").lower(), "other"),
                    "code.function.name": f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}",
                },
            )
            token = self._attach(self._in_context(span, parent))
            return InvocationSpan(span, token, self._detach)
        except Exception:
            if not self._broken:
                self._broken = True
                log.exception("could not start the OpenTelemetry span of %s; functions run without one", info.name)
            return None
