"""The Durable Functions HTTP API under /runtime/webhooks/durabletask/ (start, status with history,
list and query, raise event, terminate, suspend, resume, restart, purge), with the extension's
status codes; under --enable-auth the public side needs the system key, the RPC side does not."""

from __future__ import annotations

import hmac
import json
import urllib.parse
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from quickfunc.host.durable import API_PREFIX
from quickfunc.host.durable.control import purge_one, resume, suspend
from quickfunc.host.durable.engine import ORCHESTRATOR, DurableEngine
from quickfunc.host.durable.entities import ENTITY, entity_id, queue_operation, read_entity
from quickfunc.host.durable.history import Status
from quickfunc.host.durable.links import check_status_payload, json_value, status_json
from quickfunc.host.durable.rpc import RPC_MARK
from quickfunc.host.durable.store import DurableStore

__all__ = ["DurableApi", "PREFIX"]

PREFIX = API_PREFIX
_MAX_BODY = 16 * 1024 * 1024
_IN_PROGRESS = {Status.PENDING, Status.RUNNING, Status.CONTINUED_AS_NEW, Status.SUSPENDED}
_OPERATIONS = ("terminate", "suspend", "resume", "restart", "rewind")


def _json(status: int, value: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(value), content_type="application/json", headers=headers)


def _problem(status: int, message: str) -> web.Response:
    return _json(status, {"Message": message, "ExceptionMessage": message})


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


def _flag(query: Any, key: str, default: bool) -> bool:
    value = str(query.get(key, "")).lower()
    return default if value not in ("true", "false") else value == "true"


def _count(text: str, name: str) -> int:
    if not text:
        return 0
    if not text.isdigit():
        raise _BadQuery(f"{name} must be a whole number (got {text!r})")
    return int(text)


class DurableApi:
    """Answers the requests under PREFIX."""

    def __init__(self, engine: DurableEngine, hub: str) -> None:
        self.engine = engine
        self.hub = hub
        #: the system key the public side needs ('' under no --enable-auth), and other keys it takes
        self.system_key = ""
        self.master_key = ""
        #: the host's public address (for URLs made on the RPC side)
        self.public_base = ""

    def base(self, request: web.BaseRequest) -> str:
        if request.get(RPC_MARK) and self.public_base:  # the URLs given out are the public ones
            return self.public_base
        return f"{request.scheme}://{request.host}"

    def _links(self, request: web.BaseRequest, instance_id: str) -> dict[str, str]:
        return check_status_payload(self.base(request), self.hub, instance_id, self.system_key)

    def _allowed(self, request: web.BaseRequest) -> bool:
        if not self.system_key:
            return True
        presented = request.headers.get("x-functions-key") or request.query.get("code") or ""
        ok = False
        for key in (self.system_key, self.master_key):
            if key:
                ok |= hmac.compare_digest(presented.encode("utf-8"), key.encode("utf-8"))
        return ok

    async def handle(self, request: web.BaseRequest, path: str) -> web.Response:
        """A request on the host's public address: the key first, under --enable-auth."""
        if not self._allowed(request):
            return _problem(
                401,
                "The Durable Functions API needs the durabletask_extension system key (or the master key): "
                "send it as ?code= or in the x-functions-key header; the URLs of a check-status response carry it.",
            )
        return await self.serve(request, path)

    async def serve(self, request: web.BaseRequest, path: str) -> web.Response:
        """Answer one API request (``path`` starts with PREFIX)."""
        parts = [urllib.parse.unquote(p) for p in path[len(PREFIX) :].split("/")]
        method = request.method
        try:
            body = await request.content.read(_MAX_BODY + 1) if request.can_read_body else b""
            if len(body) > _MAX_BODY:
                return _problem(413, "The request body is too large.")
            if parts[0] == "orchestrators" and len(parts) in (2, 3) and parts[1] and method == "POST":
                return await self._start(request, parts[1], parts[2] if len(parts) == 3 else "", body)
            if parts[0] == "instances":
                return await self._instances(request, parts[1:], method, body)
            if parts[0] == "entities" and len(parts) == 3 and parts[1] and parts[2]:
                return await self._entity(request, parts[1], parts[2], body)
        except _BadQuery as exc:
            return _problem(400, str(exc))
        except ValueError as exc:
            return _problem(400, f"The request body must be JSON: {exc}")
        return web.Response(status=404)  # as the extension: any other path or method

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
        return self._check_status(request, instance_id)

    def _check_status(self, request: web.BaseRequest, instance_id: str) -> web.Response:
        payload = self._links(request, instance_id)
        return _json(202, payload, {"Location": payload["statusQueryGetUri"], "Retry-After": "10"})

    async def _instances(self, request: web.BaseRequest, rest: list[str], method: str, body: bytes) -> web.Response:
        instance_id = rest[0] if rest else ""
        query = request.query
        if len(rest) > 3 or (len(rest) == 3 and rest[1] != "raiseEvent"):
            return web.Response(status=404)
        if not instance_id and len(rest) <= 1:
            if method == "GET":
                return await self._list(request)
            if method == "DELETE":
                return await self._purge_by(query)
        elif len(rest) == 1 and method == "GET":
            return await self._status(request, instance_id)
        elif len(rest) == 1 and method == "DELETE":
            code, deleted = await self.engine.call(purge_one, instance_id)
            if code == 412:
                return _problem(412, f"Only orchestrations in a terminal state can be purged: '{instance_id}' is not.")
            return _json(200, {"instancesDeleted": deleted}) if code == 200 else web.Response(status=code)
        elif len(rest) == 3 and rest[2] and method == "POST":
            return await self._raise(request, instance_id, rest[2], body)
        elif len(rest) == 2 and rest[1].lower() in _OPERATIONS and method == "POST":
            return await self._operation(request, instance_id, rest[1].lower())
        return web.Response(status=404)

    async def _list(self, request: web.BaseRequest) -> web.Response:
        query = request.query
        statuses = [s for s in str(query.get("runtimeStatus", "")).split(",") if s]
        found = await self.engine.call(
            DurableStore.query,
            statuses,
            _when(query.get("createdTimeFrom", ""), "createdTimeFrom"),
            _when(query.get("createdTimeTo", ""), "createdTimeTo"),
            query.get("instanceIdPrefix", ""),
        )
        top = _count(query.get("top", ""), "top")
        start = _count(request.headers.get("x-ms-continuation-token", ""), "continuation token")
        return self._page(found, top, start, _flag(query, "showInput", True))

    def _page(self, found: list[Any], top: int, start: int, show_input: bool) -> web.Response:
        page = found[start : start + top] if top else found[start:]
        after = start + len(page)
        token = str(after) if top and after < len(found) else ""
        shown = [status_json(i, None, False, show_input) for i in page]
        return _json(200, shown, {"x-ms-continuation-token": token})

    async def _purge_by(self, query: Any) -> web.Response:
        created_from = _when(query.get("createdTimeFrom", ""), "createdTimeFrom")
        if created_from is None:
            return _problem(400, "Please provide value for 'createdTimeFrom' parameter.")
        statuses = [s for s in str(query.get("runtimeStatus", "")).split(",") if s]
        created_to = _when(query.get("createdTimeTo", ""), "createdTimeTo")
        found = await self.engine.call(DurableStore.query, statuses, created_from, created_to, "")
        deleted = await self.engine.call(DurableStore.purge, [i.id for i in found])
        return _json(200, {"instancesDeleted": deleted}) if deleted else web.Response(status=404)

    async def _status(self, request: web.BaseRequest, instance_id: str) -> web.Response:
        query = request.query
        instance = await self.engine.call(DurableStore.get, instance_id)
        if instance is None:
            return web.Response(status=404)
        history = _flag(query, "showHistory", False)
        events = await self.engine.call(DurableStore.history, instance_id) if history else None
        shown = status_json(instance, events, _flag(query, "showHistoryOutput", False), _flag(query, "showInput", True))
        if instance.status in _IN_PROGRESS:  # the extension: Location is the request's own URL
            return _json(202, shown, {"Location": str(request.url), "Retry-After": "5"})
        if instance.status == Status.FAILED and _flag(query, "returnInternalServerErrorOnFailure", False):
            return _json(500, shown)
        return _json(200, shown)

    async def _raise(self, request: web.BaseRequest, instance_id: str, name: str, body: bytes) -> web.Response:
        instance = await self.engine.call(DurableStore.get, instance_id)
        if instance is None:
            return web.Response(status=404)
        if instance.status not in _IN_PROGRESS:
            return web.Response(status=410)
        if request.content_type.lower() != "application/json":
            return _problem(400, "Only application/json request content is supported")
        code = await self.engine.call(DurableStore.raise_event, instance_id, name, _input_text(body))
        if code == 202:
            self.engine.kick(instance_id)
        return web.Response(status=code)

    async def _operation(self, request: web.BaseRequest, instance_id: str, operation: str) -> web.Response:
        reason = request.query.get("reason", "")
        if operation == "terminate":
            code = await self.engine.terminate(instance_id, reason)
        elif operation in ("suspend", "resume"):
            code = await self.engine.call(suspend if operation == "suspend" else resume, instance_id, reason)
            if code == 202:
                await self.engine.after_control(instance_id, operation)
        elif operation == "restart":
            return await self._restart(request, instance_id)
        else:
            return await self._rewind(instance_id)
        return web.Response(status=code)

    async def _restart(self, request: web.BaseRequest, instance_id: str) -> web.Response:
        old = await self.engine.call(DurableStore.get, instance_id)
        if old is None:
            return _problem(400, "InstanceId does not match a valid orchestration instance.")
        new_id = uuid.uuid4().hex if _flag(request.query, "restartWithNewInstanceId", True) else instance_id
        if not await self.engine.start_instance(old.name, new_id, old.input):
            return _problem(409, "A non-terminal instance with this instance ID already exists.")
        return self._check_status(request, new_id)

    async def _rewind(self, instance_id: str) -> web.Response:
        instance = await self.engine.call(DurableStore.get, instance_id)
        if instance is None:
            return _json(404, f'No orchestration with instance ID "{instance_id}" found.')
        if instance.status != Status.FAILED:
            return _json(
                412,
                f"This orchestration has status {instance.status}, but only orchestrations in the "
                '"Failed" state can be rewound.',
            )
        return _problem(501, "Rewind is not supported by the quickfunc local host's storage provider.")

    async def _entity(self, request: web.BaseRequest, name: str, key: str, body: bytes) -> web.Response:
        scheduler_id = entity_id(name, key)
        if request.method == "GET":
            state = await self.engine.call(read_entity, scheduler_id)
            if state is None:
                return web.Response(status=404)
            return _json(200, json_value(state))
        if request.method != "POST":
            return web.Response(status=404)
        operation = request.query.get("op", "")
        if not operation:
            return _problem(400, "Signalling an entity needs the operation name in ?op=.")
        if self.engine.find(name, ENTITY) is None:
            return _problem(400, f"The function '{name}' doesn't exist, is disabled, or is not an entity function.")
        op = {"op": operation, "input": _input_text(body), "signal": True, "guid": uuid.uuid4().hex}
        await self.engine.call(queue_operation, scheduler_id, op)
        self.engine.kick(scheduler_id)
        return web.Response(status=202)
