"""Azure Storage connection strings: parsed and checked, with errors naming the setting they came
from; ``UseDevelopmentStorage=true`` is Azurite's well-known account on its loopback ports."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from dataclasses import dataclass

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "AZURITE_HOST",
    "AZURITE_BLOB_PORT",
    "AZURITE_QUEUE_PORT",
    "ConnectionStringError",
    "StorageAccount",
    "parse_connection_string",
    "azurite_connection_string",
]

# Azurite's documented development account and default endpoints
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_HOST = "127.0.0.1"
AZURITE_BLOB_PORT = 10000
AZURITE_QUEUE_PORT = 10001
_KNOWN = {
    "defaultendpointsprotocol",
    "accountname",
    "accountkey",
    "endpointsuffix",
    "blobendpoint",
    "queueendpoint",
    "tableendpoint",
    "fileendpoint",
    "sharedaccesssignature",
    "usedevelopmentstorage",
    "developmentstorageproxyuri",
}


class ConnectionStringError(ValueError):
    """A connection string that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class StorageAccount:
    """What a connection string says: the account and where its blob and queue services are."""

    setting: str
    connection_string: str  # as the SDK takes it (Azurite's spelled out in full)
    account_name: str
    blob_endpoint: str
    queue_endpoint: str
    development: bool = False  # UseDevelopmentStorage=true

    def endpoints(self) -> str:
        """``host:blobport/queueport`` when both are on one host, else both URLs."""
        blob, queue = urllib.parse.urlsplit(self.blob_endpoint), urllib.parse.urlsplit(self.queue_endpoint)
        if blob.hostname == queue.hostname and blob.port and queue.port:
            return f"{blob.hostname}:{blob.port}/{queue.port}"
        return f"{self.blob_endpoint} {self.queue_endpoint}"


def azurite_connection_string(
    host: str = AZURITE_HOST, blob_port: int = AZURITE_BLOB_PORT, queue_port: int = AZURITE_QUEUE_PORT
) -> str:
    """The connection string of Azurite's development account on the given ports."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{blob_port}/{AZURITE_ACCOUNT};"
        f"QueueEndpoint=http://{host}:{queue_port}/{AZURITE_ACCOUNT};"
    )


def _pairs(setting: str, text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConnectionStringError(
                f"the setting {setting} is not a storage connection string: {_redact(part)!r} is not "
                "a Key=Value pair (expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...)"
            )
        if key.lower() not in _KNOWN:
            raise ConnectionStringError(f"the setting {setting} has an unknown connection string key {key!r}")
        pairs[key.lower()] = value.strip()
    if not pairs:
        raise ConnectionStringError(f"the setting {setting} is empty")
    return pairs


def _redact(part: str) -> str:
    """A piece of a connection string safe to show (never a key)."""
    return part if len(part) <= 20 else part[:12] + "..."


def _endpoint(setting: str, key: str, url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionStringError(f"the setting {setting} has {key}={url!r}, which is not an http(s) URL")
    return url.rstrip("/")


def _development(setting: str, pairs: dict[str, str]) -> StorageAccount:
    if pairs["usedevelopmentstorage"].lower() != "true":
        raise ConnectionStringError(
            f"the setting {setting} has UseDevelopmentStorage={pairs['usedevelopmentstorage']!r}; "
            "only 'true' means Azurite"
        )
    host = AZURITE_HOST
    proxy = pairs.get("developmentstorageproxyuri")
    if proxy:
        host = urllib.parse.urlsplit(_endpoint(setting, "DevelopmentStorageProxyUri", proxy)).hostname or host
    return StorageAccount(
        setting,
        azurite_connection_string(host),
        AZURITE_ACCOUNT,
        f"http://{host}:{AZURITE_BLOB_PORT}/{AZURITE_ACCOUNT}",
        f"http://{host}:{AZURITE_QUEUE_PORT}/{AZURITE_ACCOUNT}",
        development=True,
    )


def parse_connection_string(setting: str, text: str) -> StorageAccount:
    """Parse and check the connection string held by ``setting``."""
    pairs = _pairs(setting, text)
    if "usedevelopmentstorage" in pairs:
        return _development(setting, pairs)
    name = pairs.get("accountname", "")
    key = pairs.get("accountkey", "")
    sas = pairs.get("sharedaccesssignature", "")
    if key:
        try:
            base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise ConnectionStringError(f"the setting {setting} has an AccountKey that is not base64") from None
    if not key and not sas:
        raise ConnectionStringError(f"the setting {setting} has neither AccountKey nor SharedAccessSignature")
    if key and not name:
        raise ConnectionStringError(f"the setting {setting} has an AccountKey but no AccountName")
    protocol = pairs.get("defaultendpointsprotocol", "https").lower()
    if protocol not in ("http", "https"):
        raise ConnectionStringError(
            f"the setting {setting} has DefaultEndpointsProtocol={protocol!r}; use https or http"
        )
    suffix = pairs.get("endpointsuffix", "core.windows.net")
    endpoints = {}
    for service, field in (("blob", "blobendpoint"), ("queue", "queueendpoint")):
        if pairs.get(field):
            endpoints[service] = _endpoint(setting, field.replace("endpoint", "Endpoint").capitalize(), pairs[field])
        elif name:
            endpoints[service] = f"{protocol}://{name}.{service}.{suffix}"
        else:
            raise ConnectionStringError(
                f"the setting {setting} names no AccountName and no {service.capitalize()}Endpoint"
            )
    return StorageAccount(setting, text, name, endpoints["blob"], endpoints["queue"])
