"""Which backend each storage connection setting uses, decided once at start: the embedded store,
Azurite (``UseDevelopmentStorage=true``, when it answers) or a storage account; one banner line each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quickfunc.host.storage.connection_string import (
    AZURITE_ACCOUNT,
    ConnectionStringError,
    StorageAccount,
    parse_connection_string,
)
from quickfunc.host.storage.embedded import STORE_FILE, STORE_FOLDER, EmbeddedStorage, store_path
from quickfunc.host.storage.interface import StorageBackend, StorageError

__all__ = [
    "DEFAULT_CONNECTION",
    "STORAGE_BINDING_TYPES",
    "StorageConfigError",
    "ResolvedConnection",
    "StorageConnections",
    "connection_names",
    "find_setting",
    "identity_setting",
    "resolve_connections",
]

DEFAULT_CONNECTION = "AzureWebJobsStorage"
#: binding types whose ``connection`` names a storage account
STORAGE_BINDING_TYPES = frozenset({"queuetrigger", "queue", "blobtrigger", "blob"})
#: how long Azurite gets to accept a connection, and an account to answer the first calls
PROBE_TIMEOUT = 1.0
CHECK_TIMEOUT = 20.0
_SHOWN_PATH = f"{STORE_FOLDER}/{STORE_FILE}"


class StorageConfigError(Exception):
    """A storage connection that cannot be used at start; the message names the setting."""


@dataclass
class ResolvedConnection:
    """One connection setting and the backend it uses."""

    name: str
    backend: StorageBackend
    note: str = ""

    @property
    def banner_line(self) -> str:
        return f"Storage {self.name}: {self.backend.description}{self.note}"


@dataclass
class StorageConnections:
    """Every resolved connection of the app, by the name bindings use (case-insensitive)."""

    connections: dict[str, ResolvedConnection] = field(default_factory=dict)

    def get(self, name: str) -> ResolvedConnection | None:
        return self.connections.get((name or DEFAULT_CONNECTION).lower())

    def banner_lines(self) -> list[str]:
        return [c.banner_line for c in self.connections.values()]

    async def close(self) -> None:
        backends = {id(c.backend): c.backend for c in self.connections.values()}
        for backend in backends.values():
            await backend.close()


def connection_names(bindings: Iterable[Any], default: bool = True) -> list[str]:
    """AzureWebJobsStorage (unless ``default`` is False), then each connection a storage binding
    names, in order. ``bindings`` are catalog Bindings (``.type`` and ``.get``)."""
    names = {DEFAULT_CONNECTION.lower(): DEFAULT_CONNECTION} if default else {}
    for binding in bindings:
        if str(binding.type).lower() in STORAGE_BINDING_TYPES:
            name = str(binding.get("connection") or "").strip() or DEFAULT_CONNECTION
            names.setdefault(name.lower(), name)
    return list(names.values())


def find_setting(settings: Mapping[str, str], name: str) -> tuple[str, str]:
    """(the setting that holds connection ``name``, its value or ""), as the host looks it up:
    the name itself, then with the ``AzureWebJobs`` prefix."""
    for candidate in (name, f"AzureWebJobs{name}"):
        value = settings.get(candidate)
        if value is not None and value.strip():
            return candidate, value.strip()
    return name, ""


def identity_setting(settings: Mapping[str, str], name: str) -> str:
    """The first setting that makes connection ``name`` identity-based (``<name>__serviceUri``,
    ``__accountName``, ``__queueServiceUri``, ..., also with the ``AzureWebJobs`` prefix or ``:``
    for ``__``), or ""."""
    candidates = (name, f"AzureWebJobs{name}")
    prefixes = tuple(f"{candidate}{sep}".lower() for candidate in candidates for sep in ("__", ":"))
    for key, value in settings.items():
        if key.lower().startswith(prefixes) and str(value).strip():
            return key
    return ""


async def _answers(account: StorageAccount) -> bool:
    """Whether something accepts connections on both of Azurite's ports."""
    import urllib.parse

    for url in (account.blob_endpoint, account.queue_endpoint):
        parts = urllib.parse.urlsplit(url)
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), PROBE_TIMEOUT)
        except (OSError, asyncio.TimeoutError):
            return False
        writer.close()
    return True


class _Resolver:
    def __init__(self, app_dir: str, settings: Mapping[str, str], mode: str) -> None:
        self.app_dir = app_dir
        self.settings = settings
        self.mode = mode
        self.embedded: EmbeddedStorage | None = None
        self.accounts: dict[str, StorageBackend] = {}

    def _embedded(self) -> EmbeddedStorage:
        if self.embedded is None:  # the file itself is made on first use
            self.embedded = EmbeddedStorage(store_path(self.app_dir), _SHOWN_PATH)
        return self.embedded

    async def _account(self, account: StorageAccount, description: str, check: bool = True) -> StorageBackend:
        known = self.accounts.get(account.connection_string)
        if known is not None:
            return known
        try:
            from quickfunc.host.storage.azure import AzureStorage
        except ImportError as exc:
            raise StorageConfigError(
                f"the setting {account.setting} needs the Azure Storage SDK ({exc.name} is missing): "
                "pip install 'quickfunc-worker[host]'"
            ) from None
        try:
            backend = AzureStorage(account.connection_string, description)
        except (ValueError, StorageError) as exc:
            raise StorageConfigError(f"the setting {account.setting} cannot be used: {exc}") from None
        try:
            if check:
                await asyncio.wait_for(backend.check(), CHECK_TIMEOUT)
        except (StorageError, asyncio.TimeoutError) as exc:
            await backend.close()
            reason = str(exc) or f"no answer within {CHECK_TIMEOUT:g}s"
            raise StorageConfigError(
                f"the storage account of setting {account.setting} ({account.endpoints()}) cannot be used: {reason}"
            ) from None
        self.accounts[account.connection_string] = backend
        return backend

    async def resolve(self, name: str, used: bool = True) -> ResolvedConnection:
        """The backend of connection ``name``. One no function uses (AzureWebJobsStorage in an
        app without storage bindings) is not checked over the network, and a value that cannot
        be parsed is a note on its line rather than an error, so such an app starts offline."""
        setting, value = find_setting(self.settings, name)
        if self.mode == "embedded":
            return ResolvedConnection(name, self._embedded(), " (--storage embedded)")
        if not value:
            identity = identity_setting(self.settings, name)
            if identity:  # needs Azure AD credentials (azure-identity), which the local host has not
                what = f"{identity} makes {name} an identity-based connection, which the local host cannot use"
                if self.mode == "connection":
                    raise StorageConfigError(f"--storage connection: {what}; set {name} to a connection string")
                return ResolvedConnection(
                    name, self._embedded(), f" (NOT the account: {what}; set {name} to a connection string)"
                )
            if self.mode == "connection":
                raise StorageConfigError(f"--storage connection: the setting {setting} is not set")
            return ResolvedConnection(
                name, self._embedded(), "" if name == DEFAULT_CONNECTION else f" ({setting} is not set)"
            )
        try:
            account = parse_connection_string(setting, value)
        except ConnectionStringError as exc:
            if used:
                raise StorageConfigError(str(exc)) from None
            return ResolvedConnection(name, self._embedded(), f" ({exc}; no function uses it)")
        if account.development or account.account_name == AZURITE_ACCOUNT:
            where = account.endpoints()
            if account.development and not await _answers(account):
                if self.mode == "connection":
                    raise StorageConfigError(
                        f"--storage connection: the setting {setting} is UseDevelopmentStorage=true, "
                        f"but no Azurite answers at {where}"
                    )
                note = f" (UseDevelopmentStorage=true, but no Azurite answers at {where})"
                return ResolvedConnection(name, self._embedded(), note)
            description = f"Azurite at {where}"
        else:
            description = f"Azure Storage account {account.account_name or account.endpoints()}"
        unchecked = "" if used else " (not checked: no function uses it)"
        return ResolvedConnection(name, await self._account(account, description, check=used), unchecked)


async def resolve_connections(
    app_dir: str,
    settings: Mapping[str, str],
    names: Iterable[str],
    mode: str = "auto",
    unused: Iterable[str] = (),
) -> StorageConnections:
    """Resolve each connection name once (those in ``unused``, which no function names, leniently);
    on an error, whatever was opened is closed again."""
    lenient = {name.lower() for name in unused}
    resolver = _Resolver(app_dir, settings, mode)
    out = StorageConnections()
    try:
        for name in names:
            if name.lower() not in out.connections:
                out.connections[name.lower()] = await resolver.resolve(name, name.lower() not in lenient)
    except BaseException:
        await out.close()
        if resolver.embedded is not None and all(c.backend is not resolver.embedded for c in out.connections.values()):
            await resolver.embedded.close()
        raise
    return out
