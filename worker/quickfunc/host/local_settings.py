"""Read local.settings.json: its Values and ConnectionStrings (app settings, as text),
Host.LocalHttpPort, Host.CORS and Host.CORSCredentials; errors name the file, line and key."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from quickfunc.host.jsonfile import JsonFile, get_ci, read_json_file

__all__ = ["LocalSettings", "read_local_settings"]


@dataclass
class LocalSettings:
    """What local.settings.json says (empty when there is none)."""

    values: dict[str, str] = field(default_factory=dict)
    http_port: int | None = None
    cors: str = ""
    cors_credentials: bool = False
    doc: JsonFile | None = None


def read_local_settings(app_dir: str) -> LocalSettings:
    """The app's local.settings.json; SettingsFileError names the file, line and key."""
    path = os.path.join(app_dir, "local.settings.json")
    result = LocalSettings()
    if not os.path.isfile(path):
        return result
    doc = read_json_file(path)
    result.doc = doc
    data = doc.data
    encrypted = get_ci(data, "IsEncrypted", False)
    if not isinstance(encrypted, bool):
        raise doc.error("IsEncrypted", f"must be true or false (got {encrypted!r})")
    if encrypted:
        raise doc.error(
            "IsEncrypted",
            "the settings are encrypted (IsEncrypted: true), and the "
            "local host cannot decrypt them. Run `func settings decrypt`, or set "
            '"IsEncrypted": false and write the values in plain text',
        )
    values = get_ci(data, "Values", {})
    if not isinstance(values, dict):
        raise doc.error("Values", 'must be a JSON object of "NAME": "value" pairs')
    for name, value in values.items():
        key = f"Values.{name}"
        if not name:
            raise doc.error(key, "a setting name cannot be empty")
        if value is None:
            continue
        if isinstance(value, bool):
            result.values[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            result.values[name] = str(value)
        elif isinstance(value, str):
            result.values[name] = value
        else:
            raise doc.error(
                key,
                f"must be a string (got a JSON {type(value).__name__}); "
                "settings become environment variables, so write it as text",
            )
    _connection_strings(doc, result)
    host = get_ci(data, "Host", {})
    if not isinstance(host, dict):
        raise doc.error("Host", "must be a JSON object")
    port = get_ci(host, "LocalHttpPort")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise doc.error("Host.LocalHttpPort", f"must be a port number (got {port!r})")
        result.http_port = port
    cors = get_ci(host, "CORS", "")
    if not isinstance(cors, str):
        raise doc.error("Host.CORS", f'must be a comma-separated list of origins, or "*" (got {cors!r})')
    result.cors = cors
    credentials = get_ci(host, "CORSCredentials", False)
    if not isinstance(credentials, bool):
        raise doc.error("Host.CORSCredentials", f"must be true or false (got {credentials!r})")
    result.cors_credentials = credentials
    return result


def _connection_strings(doc: JsonFile, result: LocalSettings) -> None:
    """``ConnectionStrings`` become settings named ``ConnectionStrings:NAME``, as Core Tools
    makes them (a name may hold the text, or an object with ConnectionString)."""
    strings = get_ci(doc.data, "ConnectionStrings", {})
    if not isinstance(strings, dict):
        raise doc.error("ConnectionStrings", 'must be a JSON object of "NAME": "connection string" pairs')
    for name, value in strings.items():
        if isinstance(value, dict):
            value = get_ci(value, "ConnectionString")
        if value is None:
            continue
        if not isinstance(value, str):
            raise doc.error(f"ConnectionStrings.{name}", f"must be a string (got {value!r})")
        result.values[f"ConnectionStrings:{name}"] = value
