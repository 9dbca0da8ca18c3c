"""Signature checks of HTTP functions in an app that streams HTTP (protocol §13): the trigger takes
the web extension's request type and the response its response types, as on the platform."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import http_stream
from ..bindings.convert import BindingSpec
from .registry import FunctionLoadError, ParamBinding

_HTTP_TYPES = ("httpTrigger", "http")


def bind_streaming(
    pname: str, binding: BindingSpec, pytype: Any, fail: Callable[[str], FunctionLoadError]
) -> ParamBinding | None:
    """The ParamBinding of an HTTP trigger or output when the app imported a web extension;
    None when it did not (or the binding is not HTTP): the classic checks apply then."""
    if binding.type not in _HTTP_TYPES:
        return None
    base = http_stream.extension_base()
    if base is None:
        return None
    if binding.type == "httpTrigger":
        if pytype is not None and not http_stream.accepts_request(base, pytype):
            raise fail(_refusal(f"parameter '{pname}'", pytype, base, request=True))
        return ParamBinding(pname, binding, None, pytype, False, http_stream.route_params)
    if pytype is not None and not http_stream.accepts_response(base, pytype):
        raise fail(_refusal(f"the {_target(pname)}", pytype, base, request=False))
    return ParamBinding(pname, binding, None, pytype, False, http_stream.no_output)


def is_streaming(binding: BindingSpec) -> bool:
    """An HTTP trigger served through the web extension's server."""
    return binding.type == "httpTrigger" and http_stream.extension_base() is not None


def _target(pname: str) -> str:
    return "return value" if pname == "$return" else f"output '{pname}'"


def _refusal(subject: str, pytype: Any, base: Any, *, request: bool) -> str:
    extension = http_stream.extension_package(base)
    annotated = f"{subject} is annotated {_name(pytype)}, but the app imports {extension}"
    why = (
        "which makes every HTTP function of the app a streaming one (as on Azure, classic and "
        "streaming HTTP functions cannot be mixed in one app)"
    )
    if request:
        wanted = f"annotate it with Request from {extension}"
    else:
        wanted = (
            f"annotate it with one of the response types of {extension} (e.g. Response, "
            f"StreamingResponse, JSONResponse), or str, dict or list"
        )
    return f"{annotated}, {why}: {wanted}"


def _name(pytype: Any) -> str:
    if isinstance(pytype, type):
        module = pytype.__module__
        if module.startswith("azure.functions"):
            module = "azure.functions"
        return pytype.__name__ if module == "builtins" else f"{module}.{pytype.__qualname__}"
    return repr(pytype)
