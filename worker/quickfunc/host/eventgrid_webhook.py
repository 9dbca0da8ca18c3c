"""The Event Grid extension's webhook, ``POST /runtime/webhooks/EventGrid?functionName=NAME``: the
URL the docs give for sending events to an Event Grid function running locally."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from quickfunc.host.admin_invoke import AdminRequest, extension_inputs
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.invocations import InputError, Inputs

__all__ = ["WEBHOOK_PATH", "EventGridWebhook", "event_inputs", "serve_webhook"]

WEBHOOK_PATH = "/runtime/webhooks/eventgrid"

Run = Callable[[FunctionSpec, Inputs], Awaitable[Any]]  # an Outcome with .ok and .error


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


class EventGridWebhook:
    """Answers as the extension does: a subscription handshake (Event Grid schema, or the
    CloudEvents OPTIONS one), notifications run the function once per event (202, or 500 with
    the error when a run fails), unsubscribe 202, else 400."""

    def __init__(self, catalog: Callable[[], Catalog], run: Run, inputs: Callable[[FunctionSpec, Any], Inputs]):
        self._catalog = catalog
        self._run = run
        self._inputs = inputs

    def _function(self, name: str) -> FunctionSpec | None:
        spec = self._catalog().get(name) if name else None
        if spec is None or spec.trigger_type.lower() != "eventgridtrigger":
            return None
        return spec

    async def handle(
        self, request: web.BaseRequest, body: bytes | bytearray, function_key: str
    ) -> tuple[web.Response, str]:
        """The response and a console note; ``request[function_key]`` names the function run."""
        name = request.query.get("functionName", "")
        spec = self._function(name)
        if spec is None:
            event_grid = [f.name for f in self._catalog().functions if f.trigger_type.lower() == "eventgridtrigger"]
            return _text(404, f"cannot find function: '{name}'"), (
                f"no Event Grid function named {name!r}; the app's are: {', '.join(event_grid) or '(none)'}"
            )
        request[function_key] = spec.name
        origin = request.headers.get("WebHook-Request-Origin")
        if request.method == "OPTIONS" and origin is not None:  # CloudEvents webhook validation
            return web.Response(status=200, headers={"WebHook-Allowed-Origin": origin}), "webhook validated"
        kind = request.headers.get("aeg-event-type", "").lower()
        if kind == "unsubscribe":
            return web.Response(status=202), "unsubscribe"
        if kind not in ("subscriptionvalidation", "notification"):
            return _text(400, ""), "the aeg-event-type header must be Notification or SubscriptionValidation"
        try:
            token = json.loads(bytes(body).decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _text(400, f"the body is not JSON: {exc}"), "body not JSON"
        if kind == "subscriptionvalidation":
            first = token[0] if isinstance(token, list) and token else None
            data = first.get("data") if isinstance(first, dict) else None
            code = data.get("validationCode") if isinstance(data, dict) else None
            if code is None:
                return _text(400, 'a SubscriptionValidation body is [{"data": {"validationCode": ...}}]'), ""
            return web.json_response({"validationResponse": code}), "subscription validated"
        events = token if isinstance(token, list) else [token]  # an object: one CloudEvent
        if not all(isinstance(event, dict) for event in events):
            return _text(400, "each event must be a JSON object"), "an event is not an object"
        try:
            prepared = [self._inputs(spec, event) for event in events]
        except InputError as exc:
            return _text(400, str(exc)), ""
        outcomes = await asyncio.gather(*(self._run(spec, inputs) for inputs in prepared))
        failed = next((outcome for outcome in outcomes if not outcome.ok), None)
        if failed is not None:
            return _text(500, failed.error), f"{len(events)} event(s), one failed"
        return web.Response(status=202), f"{len(events)} event(s)"


def event_inputs(spec: FunctionSpec, event: Any, capabilities: Any, settings: Any) -> Inputs:
    """One event's invocation inputs, built as an admin invoke of it would be."""
    inputs = extension_inputs(spec, AdminRequest(event, True, {}), capabilities, settings)
    assert inputs is not None  # an eventGridTrigger always has a builder
    return inputs


async def serve_webhook(front: Any, request: web.BaseRequest, function_key: Any) -> tuple[web.StreamResponse, str]:
    """One webhook request to the local host's HTTP front (http_front.HttpFront): its body read
    within the body limits, then answered as the extension does."""
    from quickfunc.host.admin import no_room, plain
    from quickfunc.host.bodies import BodyTooLarge, NoRoomForBody, read_body

    try:
        with front.bodies.hold() as hold:
            body = await read_body(request, front.config.max_body_size, hold)
    except BodyTooLarge:
        return plain(413, "The request body is larger than the limit (--max-body-size)."), ""
    except NoRoomForBody as exc:
        return no_room(exc), ""
    hook = EventGridWebhook(
        lambda: front.catalog,
        lambda spec, inputs: front.invoker.run_reported(spec, inputs, "(Event Grid webhook)"),
        lambda spec, event: event_inputs(spec, event, front.pool.capabilities, front.config.settings),
    )
    return await hook.handle(request, body, function_key)
