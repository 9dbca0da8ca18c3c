"""HTTP streaming (protocol §13): when the app imports a web extension such as
azurefunctions-extensions-http-fastapi, HTTP functions get the framework's request from a local web
server instead of an RpcHttp. This module only looks at what the app imported; it imports nothing."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

#: the package every web extension registers its classes with
BASE_MODULE = "azurefunctions.extensions.base"
#: what an app needs so that the worker starts its web server at init (as the platform requires)
INIT_INDEXING_SETTING = "PYTHON_ENABLE_INIT_INDEXING"


def extension_base() -> ModuleType | None:
    """The extensions' base package when the app imported exactly one web extension, else None.

    Looked up in sys.modules only: an app that does not use HTTP streaming imports nothing more.
    """
    base = sys.modules.get(BASE_MODULE)
    if base is None:
        return None
    checker = getattr(base, "HttpV2FeatureChecker", None)
    try:
        return base if checker is not None and checker.http_v2_enabled() else None
    except Exception:
        return None


def streaming_refusal(index: Any, state: Any) -> str | None:
    """Why an indexed v2 app cannot stream HTTP, or None: it imports a web extension but was not
    indexed at init, so no web server was started (the platform's worker then fails the indexing)."""
    if not index.found or index.error or state.settings.init_indexing:
        return None
    base = extension_base()
    if base is None:
        return None
    return (
        f"{index.script_path} imports {extension_package(base)}, so its HTTP functions stream, "
        f"which needs the app setting {INIT_INDEXING_SETTING}=1: add "
        f'"{INIT_INDEXING_SETTING}": "1" to "Values" in local.settings.json (on Azure, to the '
        f"app settings); see https://aka.ms/functions-python-streaming"
    )


def extension_name(base: ModuleType) -> str:
    """The module of the web extension the app imported (for messages)."""
    try:
        return str(base.ModuleTrackerMeta.get_module() or "a web extension")
    except Exception:
        return "a web extension"


def accepts_request(base: ModuleType, pytype: Any) -> bool:
    """`pytype` is (a subclass of) the extension's request type."""
    try:
        return bool(base.RequestTrackerMeta.check_type(pytype))
    except Exception:
        return False


def accepts_response(base: ModuleType, pytype: Any) -> bool:
    """`pytype` is one of the response types the extension registered (its Response classes,
    str, dict, list, int, float, bool, pydantic models for FastAPI)."""
    try:
        return bool(base.ResponseTrackerMeta.check_type(pytype))
    except Exception:
        return False


def extension_package(base: ModuleType) -> str:
    """The package the app imports the extension's types from (the parent of the module that
    registered them when it exports them, e.g. azurefunctions.extensions.http.fastapi)."""
    module = extension_name(base)
    parent = module.rpartition(".")[0]
    return parent if parent and hasattr(sys.modules.get(parent), "Request") else module


def route_params(data: Any, _metadata: Any = None) -> dict[str, str]:
    """The input codec of a streaming HTTP trigger: the host sends an RpcHttp with the route
    values only; the request itself arrives at the web server."""
    if data is not None and data.WhichOneof("data") == "http":
        return dict(data.http.params)
    return {}


def no_output(_value: Any, _target: Any) -> bool:
    """The output codec of a streaming HTTP response: the response goes back over HTTP, so the
    InvocationResponse carries nothing for it."""
    return False
