"""What the Durable HTTP API writes: the management URLs of an instance (with the system key under
--enable-auth, as the extension's webhook URLs carry it), the durableClient binding's value, and
an instance's status document."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from quickfunc.host.durable import API_PREFIX
from quickfunc.host.durable.history import now_text, public_event
from quickfunc.host.durable.records import Instance

__all__ = ["management_urls", "check_status_payload", "client_binding", "status_json", "json_value"]

#: the management URLs a check-status response carries (the binding's payload also has rewindPostUri)
_CHECK_STATUS_KEYS = (
    "id",
    "statusQueryGetUri",
    "sendEventPostUri",
    "terminatePostUri",
    "purgeHistoryDeleteUri",
    "restartPostUri",
    "suspendPostUri",
    "resumePostUri",
)


def json_value(text: str | None) -> Any:
    """A stored JSON text as a value (text that is not JSON as itself)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _suffix(hub: str, key: str) -> str:
    query = f"taskHub={urllib.parse.quote(hub, safe='')}&connection=Storage"
    return query + (f"&code={urllib.parse.quote(key, safe='')}" if key else "")


def management_urls(base: str, hub: str, instance_id: str, key: str = "") -> dict[str, str]:
    """The HTTP management payload of one instance (``base``: ``http://host:port``; ``key``: the
    system key the API needs, '' when it needs none)."""
    root = f"{base}{API_PREFIX}instances/{urllib.parse.quote(instance_id, safe='')}"
    query = _suffix(hub, key)
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


def check_status_payload(base: str, hub: str, instance_id: str, key: str = "") -> dict[str, str]:
    """The body of the API's own check-status response (start, restart)."""
    urls = management_urls(base, hub, instance_id, key)
    return {name: urls[name] for name in _CHECK_STATUS_KEYS}


def client_binding(base: str, rpc_base: str, hub: str, key: str = "") -> str:
    """The durableClient binding's value: the public URLs (with the key) the check-status response
    is made of, and ``rpc_base``, where the library's client calls the API (no key needed there)."""
    placeholder = "INSTANCEID"
    urls = management_urls(base, hub, placeholder, key)
    start = f"{base}{API_PREFIX}orchestrators/{{functionName}}[/{{instanceId}}]"
    required = f"code={urllib.parse.quote(key, safe='')}" if key else ""
    tail = f"&{required}" if required else ""
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{start}?{required}",
                "createAndWaitOnNewInstancePostUri": f"{start}?timeout={{timeoutInSeconds}}"
                f"&pollingInterval={{intervalInSeconds}}{tail}",
            },
            "managementUrls": urls,
            "baseUrl": f"{base}{API_PREFIX.rstrip('/')}",
            "requiredQueryStringParameters": required,
            "rpcBaseUrl": rpc_base,
            "httpBaseUrl": "",
            "maxGrpcMessageSizeInBytes": 0,
        }
    )


def status_json(
    instance: Instance, history: list[dict[str, Any]] | None, with_output: bool, with_input: bool = True
) -> dict[str, Any]:
    """An instance as GET instances/{id} shows it (historyEvents only when asked for)."""
    shown: dict[str, Any] = {
        "name": instance.name,
        "instanceId": instance.id,
        "runtimeStatus": instance.status,
        "input": json_value(instance.input) if with_input else None,
        "customStatus": json_value(instance.custom_status),
        "output": json_value(instance.output),
        "createdTime": now_text(instance.created)[:19] + "Z",
        "lastUpdatedTime": now_text(instance.updated)[:19] + "Z",
    }
    if history is not None:
        shown["historyEvents"] = [public_event(e, with_output) for e in history]
    return shown
