"""The admin API under ``/admin``: host status and ping, host keys, the function list and one
function (the Functions host's field names), and invoking a non-HTTP function by POST."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Protocol

from aiohttp import web

from quickfunc.host.auth import ADMIN, KeyRing, key_from_request
from quickfunc.host.bodies import BodyBudget, BodyTooLarge, NoRoomForBody, read_body
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.durable import NOT_SERVED_STATUS, answer
from quickfunc.host.invocations import InputError, Inputs, admin_inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.pool import WorkerPool
from quickfunc.host.status import host_status

__all__ = ["AdminApi", "AdminHost", "plain", "no_room"]


class AdminHost(Protocol):
    """What the admin API reads of the HTTP front that serves it (so it need not import it)."""

    config: HostConfig
    catalog: Catalog
    invoker: Invoker
    pool: WorkerPool
    keys: KeyRing | None
    bodies: BodyBudget
    base_url: str

    def url_for(self, spec: FunctionSpec) -> str: ...


_FUNCTION = re.compile(r"^/admin/functions/([^/]+)/?$", re.IGNORECASE)
#: seconds a client is asked to wait after a 503 for lack of room for its body
_RETRY_AFTER = "5"


def plain(status: int, text: str, **headers: str) -> web.Response:
    """A text/plain answer (one line)."""
    return web.Response(status=status, text=text + "\n", headers=headers or None)


def no_room(exc: NoRoomForBody) -> web.Response:
    """503 for a body that found no room (its bytes were not read: the connection closes)."""
    response = plain(503, str(exc), **{"Retry-After": _RETRY_AFTER})
    response.force_close()
    return response


def _config(spec: FunctionSpec) -> dict[str, Any]:
    """The function's configuration: its bindings as written (plus v1's scriptFile/entryPoint)."""
    bindings = [b.raw or {"name": b.name, "type": b.type, "direction": b.direction} for b in spec.bindings]
    config: dict[str, Any] = {"bindings": bindings}
    md = spec.metadata
    if md.directory and md.script_file:
        config["scriptFile"] = os.path.relpath(md.script_file, md.directory)
    if md.entry_point:
        config["entryPoint"] = md.entry_point
    return config


class AdminApi:
    """Answers ``/admin/...`` for an HttpFront (its catalog, keys, URLs and body limits)."""

    def __init__(self, front: AdminHost) -> None:
        self.front = front

    def _admin_key_missing(self, request: web.BaseRequest) -> web.Response | None:
        keys = self.front.keys
        if keys is None or keys.allows(ADMIN, "", key_from_request(request.headers, request.query)):
            return None
        return plain(401, "Admin endpoints need the master key: send it in the x-functions-key header.")

    def without_app(self, request: web.BaseRequest, path: str) -> web.Response | None:
        """Endpoints that answer whether or not the app runs: status, ping, host keys."""
        route = path.lower().rstrip("/")
        front = self.front
        if route == "/admin/host/status":
            return web.json_response(host_status(front.config, front.pool, len(front.catalog.functions)))
        if route == "/admin/host/ping":  # anonymous, as in the Functions host
            if request.method not in ("GET", "POST"):
                return plain(405, "Use GET or POST.", Allow="GET, POST")
            return web.Response(status=200, headers={"Cache-Control": "no-store"})
        if route == "/admin/host/keys":
            return self._host_keys(request)
        return None

    def _host_keys(self, request: web.BaseRequest) -> web.Response:
        keys = self.front.keys
        if keys is None:
            return plain(404, "There are no keys: the local host checks keys only with --enable-auth.")
        if request.method != "GET":
            return plain(405, "Use GET.", Allow="GET")
        refused = self._admin_key_missing(request)
        if refused is not None:
            return refused
        href = f"{self.front.base_url}/admin/host/keys"
        return web.json_response(
            {"keys": [{"name": "default", "value": keys.host_key}], "links": [{"rel": "self", "href": href}]}
        )

    def describe(self, spec: FunctionSpec) -> dict[str, Any]:
        """One function as the Functions host's ``/admin/functions`` lists it (what applies here)."""
        base = self.front.base_url
        md = spec.metadata
        v1 = self.front.catalog.programming_model == "v1"
        folder = f"{base}/admin/vfs/{spec.name}/" if v1 else f"{base}/admin/vfs/"
        script = ""
        if md.script_file:
            script = os.path.relpath(md.script_file, self.front.config.app_dir).replace(os.sep, "/")
        url = self.front.url_for(spec) if spec.is_http else ""
        return {
            "name": spec.name,
            "script_root_path_href": folder,
            "script_href": f"{base}/admin/vfs/{script}" if script else None,
            "config_href": f"{folder}function.json" if v1 else None,
            "test_data_href": None,
            "href": f"{base}/admin/functions/{spec.name}",
            "invoke_url_template": url or None,
            "language": "python",
            "config": _config(spec),
            "files": None,
            "test_data": None,
            "isDisabled": spec.disabled,
            "isDirect": False,
            "isProxy": False,
        }

    async def handle(self, request: web.BaseRequest, path: str) -> web.Response:
        """Endpoints that need the app: the function list, one function, invoking one."""
        if path.lower().rstrip("/") == "/admin/functions":
            if request.method != "GET":
                return plain(405, "Use GET to list the functions.", Allow="GET")
            refused = self._admin_key_missing(request)
            return refused or web.json_response([self.describe(f) for f in self.front.catalog.functions])
        m = _FUNCTION.match(path)
        if m is None:
            return plain(404, f"No admin endpoint at {path}.")
        if request.method not in ("GET", "POST"):
            return plain(405, 'GET describes the function; POST with {"input": "..."} runs it.', Allow="GET, POST")
        refused = self._admin_key_missing(request)
        if refused is not None:
            return refused
        name = m.group(1)
        spec = self.front.catalog.get(name)
        if spec is None:
            return plain(404, f"There is no function named {name}.")
        if request.method == "GET":
            return web.json_response(self.describe(spec))
        return await self._invoke(request, spec)

    async def _invoke(self, request: web.BaseRequest, spec: FunctionSpec) -> web.Response:
        front = self.front
        if spec.error:
            return plain(500, f"Function {spec.name} cannot run: {spec.error}")
        if spec.unserved:
            return plain(NOT_SERVED_STATUS, answer(spec.name, spec.unserved))
        if spec.is_http:
            return plain(400, f"{spec.name} is an HTTP function; call it at {front.url_for(spec)}.")
        try:
            with front.bodies.hold() as hold:
                raw = await read_body(request, front.config.max_body_size, hold)
        except BodyTooLarge:
            response = plain(413, "The request body is larger than the limit (--max-body-size).")
            response.force_close()
            return response
        except NoRoomForBody as exc:
            return no_room(exc)
        try:
            payload = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return plain(400, 'The body must be a JSON object like {"input": "..."}.')
        try:
            inputs = await self._inputs(spec, payload)
        except InputError as exc:
            return plain(400, str(exc))
        front.invoker.start_background(spec, inputs, "(admin invoke)")
        return web.Response(status=202)

    async def _inputs(self, spec: FunctionSpec, payload: dict[str, Any]) -> Inputs:
        """The trigger input and metadata for ``{"input": ..., "metadata": {...}}``: what the
        trigger's extension sends (admin_invoke), a blob read from storage, or a plain value."""
        from quickfunc.host.admin_invoke import extension_inputs, read_request
        from quickfunc.host.admin_invoke.wire_values import Wire

        request = read_request(spec, payload)
        front = self.front
        inputs = extension_inputs(spec, request, front.pool.capabilities, front.config.settings)
        if inputs is not None:
            return inputs
        if spec.trigger_type.lower() == "blobtrigger":
            inputs = await self._blob_inputs(spec, request.value)
        else:
            inputs = admin_inputs(spec, request.value)
        inputs.trigger_metadata.update(Wire().metadata(request.overrides))
        return inputs

    async def _blob_inputs(self, spec: FunctionSpec, value: Any) -> Inputs:
        """A blob trigger's input names a blob, read from the function's storage connection."""
        from quickfunc.host.blob_trigger_data import blob_admin_inputs

        front = self.front
        blobs = front.invoker.blobs
        trigger = spec.trigger
        connection = str(trigger.get("connection") or "") if trigger is not None else ""
        resolved = blobs.storage.get(connection) if blobs is not None else None
        backend = resolved.backend if resolved is not None else None
        return await blob_admin_inputs(spec, value, backend, front.config.settings)
