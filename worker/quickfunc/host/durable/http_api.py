"""The Durable Functions HTTP API under /runtime/webhooks/durabletask/ (start, status with history,
list and query, raise event, terminate, purge), as the extension serves it; it is also the
``rpcBaseUrl`` the Python library's client calls."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from quickfunc.host.durable import API_PREFIX
from quickfunc.host.durable.engine import ORCHESTRATOR, DurableEngine
from quickfunc.host.durable.entities import ENTITY, entity_id, queue_operation, read_entity
from quickfunc.host.durable.history import Status, now_text, public_event
from quickfunc.host.durable.store import DurableStore, Instance

__all__ = ["DurableApi", "PREFIX", "client_binding"]

PREFIX = API_PREFIX
_MAX_BODY = 16 * 1024 * 1024
_IN_PROGRESS = {Status.PENDING, Status.RUNNING, Status.CONTINUED_AS_NEW}


def _json(status: int, value: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(value), content_type="application/json", headers=headers)


def _problem(status: int, message: str) -> web.Response:
    return _json(status, {"Message": message, "ExceptionMessage": message})


def _value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _input_text(body: bytes) -> str | None:
    """The JSON text of a request body's value. The Python client sends its already-serialised
    value as a JSON string: that string is the value's JSON text."""
    if not body.strip():
        return None
    text = body.decode("utf-8")
    value = json.loads(text)  # ValueError: not JSON
    if isinstance(value, str):
        try:
            json.loads(value)
            return value
        except ValueError:
            return text
    return text


class _BadQuery(Exception):
    """A query parameter the API cannot read (answered with 400 naming it)."""


def _when(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _BadQuery(f"{name} must be an ISO 8601 date and time (got {text!r})") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def management_urls(base: str, hub: str, instance_id: str) -> dict[str, str]:
    """The check-status payload of one instance (``base``: ``http://host:port``)."""
    root = f"{base}{PREFIX}instances/{urllib.parse.quote(instance_id, safe='')}"
    query = f"taskHub={hub}&connection=Storage"
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{root}?{query}",
        "sendEventPostUri": f"{root}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{root}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{root}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{root}?{query}",
        "restartPostUri": f"{root}/restart?{query}",
        "suspendPostUri": f"{root}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{root}/resume?reason={{text}}&{query}",
    }


def client_binding(base: str, hub: str) -> str:
    """The durableClient binding's value: where the library's client finds the API."""
    placeholder = "INSTANCEID"
    urls = management_urls(base, hub, placeholder)
    start = f"{base}{PREFIX}orchestrators/{{functionName}}[/{{instanceId}}]"
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": start,
                "createAndWaitOnNewInstancePostUri": f"{start}?timeout={{timeoutInSeconds}}"
                "&pollingInterval={intervalInSeconds}",
            },
            "managementUrls": urls,
            "baseUrl": f"{base}{PREFIX.rstrip('/')}",
            "requiredQueryStringParameters": "",
            "rpcBaseUrl": f"{base}{PREFIX}",
            "httpBaseUrl": "",
            "maxGrpcMessageSizeInBytes": 0,
        }
    )


def status_json(
    instance: Instance, history: list[dict[str, Any]] | None, with_output: bool, with_input: bool = True
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "name": instance.name,
        "instanceId": instance.id,
        "runtimeStatus": instance.status,
        "input": _value(instance.input) if with_input else None,
        "customStatus": _value(instance.custom_status),
        "output": _value(instance.output),
        "createdTime": now_text(instance.created)[:19] + "Z",
        "lastUpdatedTime": now_text(instance.updated)[:19] + "Z",
    }
    if history is not None:
        shown["historyEvents"] = [public_event(e, with_output) for e in history]
    return shown


class DurableApi:
    """Answers the requests under PREFIX."""

    def __init__(self, engine: DurableEngine, hub: str) -> None:
        self.engine = engine
        self.hub = hub

    def _base(self, request: web.BaseRequest) -> str:
        return f"{request.scheme}://{request.host}"

    async def handle(self, request: web.BaseRequest, path: str) -> web.Response:
        parts = [urllib.parse.unquote(p) for p in path[len(PREFIX) :].split("/")]
        method = request.method
        query = request.query
        try:
            body = await request.content.read(_MAX_BODY + 1) if request.can_read_body else b""
            if len(body) > _MAX_BODY:
                return _problem(413, "The request body is too large.")
            if parts[0] == "orchestrators" and len(parts) in (2, 3) and parts[1] and method == "POST":
                return await self._start(request, parts[1], parts[2] if len(parts) == 3 else "", body)
            if parts[0] == "instances":
                return await self._instances(request, parts[1:], method, query, body)
        except _BadQuery as exc:
            return _problem(400, str(exc))
        except ValueError as exc:
            return _problem(400, f"The request body must be JSON: {exc}")
        if parts[0] == "entities" and len(parts) == 3 and parts[1] and parts[2]:
            return await self._entity(request, parts[1], parts[2], body)
        return _problem(404, f"No Durable Functions API answers {method} {path}.")

    async def _start(self, request: web.BaseRequest, name: str, instance_id: str, body: bytes) -> web.Response:
        spec = self.engine.find(name, ORCHESTRATOR)
        if spec is None:
            return _problem(
                400,
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator "
                "function. Additional info: the app's orchestrator functions are: "
                + (", ".join(s.name for s in self.engine.functions(ORCHESTRATOR)) or "(none)"),
            )
        instance_id = instance_id or uuid.uuid4().hex
        if not await self.engine.start_instance(spec.name, instance_id, _input_text(body)):
            return _problem(409, f"An orchestration instance with the ID '{instance_id}' is already running.")
        payload = management_urls(self._base(request), self.hub, instance_id)
        return _json(202, payload, {"Location": payload["statusQueryGetUri"], "Retry-After": "10"})

    async def _instances(
        self, request: web.BaseRequest, rest: list[str], method: str, query: Any, body: bytes
    ) -> web.Response:
        instance_id = rest[0] if rest else ""
        flag = lambda key: str(query.get(key, "")).lower() == "true"  # noqa: E731
        if not instance_id:
            statuses = [s for s in str(query.get("runtimeStatus", "")).split(",") if s]
            found = await self.engine.call(
                DurableStore.query,
                statuses,
                _when(query.get("createdTimeFrom", ""), "createdTimeFrom"),
                _when(query.get("createdTimeTo", ""), "createdTimeTo"),
                query.get("instanceIdPrefix", ""),
            )
            if method == "GET":
                return _json(200, [status_json(i, None, False, flag("showInput")) for i in found])
            if method == "DELETE":
                deleted = await self.engine.call(DurableStore.purge, [i.id for i in found])
                return _json(200 if deleted else 404, {"instancesDeleted": deleted})
        elif len(rest) == 1 and method == "GET":
            return await self._status(
                request,
                instance_id,
                flag("showHistory"),
                flag("showHistoryOutput"),
                query.get("showInput", "true").lower() != "false",
            )
        elif len(rest) == 1 and method == "DELETE":
            deleted = await self.engine.call(DurableStore.purge, [instance_id])
            return _json(200 if deleted else 404, {"instancesDeleted": deleted})
        elif len(rest) == 3 and rest[1] == "raiseEvent" and rest[2] and method == "POST":
            code = await self.engine.call(DurableStore.raise_event, instance_id, rest[2], _input_text(body))
            if code == 202:
                self.engine.kick(instance_id)
            return web.Response(status=code) if code == 202 else _problem(code, self._why(code, instance_id))
        elif len(rest) == 2 and rest[1] == "terminate" and method == "POST":
            code = await self.engine.terminate(instance_id, query.get("reason", ""))
            return web.Response(status=code) if code == 202 else _problem(code, self._why(code, instance_id))
        elif len(rest) == 2 and rest[1] in ("rewind", "suspend", "resume", "restart"):
            return _problem(501, f"{rest[1]} is not supported by the quickfunc local host.")
        return _problem(
            404 if method in ("GET", "POST", "DELETE") else 405,
            f"No Durable Functions API answers {method} {request.path}.",
        )

    async def _entity(self, request: web.BaseRequest, name: str, key: str, body: bytes) -> web.Response:
        scheduler_id = entity_id(name, key)
        if request.method == "GET":
            state = await self.engine.call(read_entity, scheduler_id)
            if state is None:
                return _problem(404, f"No entity with ID '{scheduler_id}' found.")
            return _json(200, _value(state))
        if request.method != "POST":
            return _problem(405, "Entities take GET (read the state) and POST (signal an operation).")
        operation = request.query.get("op", "")
        if not operation:
            return _problem(400, "Signalling an entity needs the operation name in ?op=.")
        if self.engine.find(name, ENTITY) is None:
            return _problem(400, f"The function '{name}' doesn't exist, is disabled, or is not an entity function.")
        op = {"op": operation, "input": _input_text(body), "signal": True, "guid": uuid.uuid4().hex}
        await self.engine.call(queue_operation, scheduler_id, op)
        self.engine.kick(scheduler_id)
        return web.Response(status=202)

    @staticmethod
    def _why(code: int, instance_id: str) -> str:
        if code == 404:
            return f"No instance with ID '{instance_id}' found."
        return f"Instance with ID '{instance_id}' has already completed, failed or been terminated."

    async def _status(
        self, request: web.BaseRequest, instance_id: str, history: bool, output: bool, with_input: bool
    ) -> web.Response:
        instance = await self.engine.call(DurableStore.get, instance_id)
        if instance is None:
            return web.Response(status=404)
        events = await self.engine.call(DurableStore.history, instance_id) if history else None
        shown = status_json(instance, events, output, with_input)
        if instance.status in _IN_PROGRESS:
            location = management_urls(self._base(request), self.hub, instance_id)["statusQueryGetUri"]
            return _json(202, shown, {"Location": location, "Retry-After": "10"})
        return _json(200, shown)
