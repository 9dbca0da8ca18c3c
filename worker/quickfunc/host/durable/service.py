"""Durable Functions in the running host: the engine, its HTTP API (public side and loopback RPC
side), the system key under --enable-auth, and the durableClient binding value added to the
invocations of the functions that declare one."""

from __future__ import annotations

import secrets
from typing import Protocol

from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig
from quickfunc.host.durable.engine import ACTIVITY, ORCHESTRATOR, DurableEngine
from quickfunc.host.durable.entities import ENTITY
from quickfunc.host.durable.http_api import PREFIX, DurableApi
from quickfunc.host.durable.links import client_binding
from quickfunc.host.durable.options import read_durable_options
from quickfunc.host.durable.rpc import RpcListener
from quickfunc.host.invocations import Inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.output import Console
from quickfunc.host.storage.embedded import store_path
from quickfunc.protos import pb

__all__ = ["DurableService", "uses_durable", "PREFIX", "SYSTEM_KEY_NAME"]

_CLIENT_TYPES = frozenset({"durableclient", "orchestrationclient"})
_DURABLE_TYPES = _CLIENT_TYPES | {ORCHESTRATOR, ACTIVITY, ENTITY}
#: the name of the extension's system key (as the Functions host names it)
SYSTEM_KEY_NAME = "durabletask_extension"


class _Keys(Protocol):
    """What is read of the host's keys (auth.KeyRing)."""

    master_key: str


def uses_durable(catalog: Catalog) -> bool:
    """Whether the app has an orchestrator, an activity or a durable client."""
    return any(b.type.lower() in _DURABLE_TYPES for spec in catalog.functions for b in spec.bindings)


class DurableService:
    """One app's durable side, started once its functions are known."""

    def __init__(self, config: HostConfig, invoker: Invoker, console: Console) -> None:
        self.options = read_durable_options(config.app_dir)
        self.engine = DurableEngine(store_path(config.app_dir), self.options, invoker, console)
        self.api = DurableApi(self.engine, self.options.hub_name)
        self.rpc = RpcListener()
        self.base_url = ""
        self._client_value = ""

    def use_keys(self, keys: _Keys | None) -> None:
        """Under --enable-auth: the API's public side needs the system key (made here) or the master key."""
        if keys is None:
            return
        self.api.system_key = secrets.token_urlsafe(32)
        self.api.master_key = keys.master_key

    def attach(self, catalog: Catalog, base_url: str) -> None:
        """Serve ``catalog`` at ``base_url`` from now on (client values, API, function lookups)."""
        self.base_url = base_url
        self.api.public_base = base_url
        self._client_value = client_binding(base_url, self.rpc.url, self.options.hub_name, self.api.system_key)
        self.engine.catalog = catalog

    async def start(self, catalog: Catalog, base_url: str) -> None:
        """Attach, open the RPC side, then pick up what a previous run left in the store."""
        self.attach(catalog, base_url)
        await self.rpc.start(self.api.serve)
        try:
            await self.engine.start(catalog)
        except Exception as exc:  # a store that cannot be read: say so, keep serving the rest
            self.engine.console.error(f"Durable Functions could not resume from the store: {exc!r}")

    async def stop(self) -> None:
        await self.rpc.stop()
        await self.engine.stop()

    def add_inputs(self, spec: FunctionSpec, inputs: Inputs) -> None:
        """The durableClient binding's value, for a function that declares one."""
        for binding in spec.bindings:
            if binding.direction == "in" and binding.type.lower() in _CLIENT_TYPES:
                inputs.data[binding.name] = pb.TypedData(string=self._client_value)

    def banner_line(self) -> str:
        line = (
            f"Durable Functions: task hub '{self.options.hub_name}' in the embedded store, "
            f"API at {self.base_url}{PREFIX}"
        )
        if self.api.system_key:
            line += f" (system key {SYSTEM_KEY_NAME}: {self.api.system_key})"
        return line
