"""SDK-type ("deferred") bindings, protocol §15: a parameter annotated with a type of an
``azurefunctions-extensions-bindings-*`` package gets a client built from the host's model_binding_data.

The extensions' base package is never imported here: an annotation can only be one of its types
when the app has imported it already, so the registry is looked up in ``sys.modules``.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.functions.meta import Datum

from ..protos import pb
from .convert import BindingError, BindingSpec

__all__ = ["bind_sdk_parameter", "clear_cache", "is_sdk_type", "raw_bindings", "registry"]

BASE_PACKAGE = "azurefunctions.extensions.base"
#: how many clients are kept for reuse (a blob trigger sees a new blob per invocation)
CACHE_SIZE = 256
_REFERENCE_KINDS = ("model_binding_data", "collection_model_binding_data")

Decoder = Callable[[pb.TypedData, Mapping[str, Datum]], Any]
Fail = Callable[[str], Exception]


def registry() -> Any | None:
    """The extensions' converter registry, when the app has imported the base package."""
    base = sys.modules.get(BASE_PACKAGE)
    getter = getattr(base, "get_binding_registry", None)
    return getter() if getter is not None else None


def is_sdk_type(pytype: Any) -> bool:
    """Whether ``pytype`` is an SDK type (a subclass of the base package's SdkType, or a
    collection of one)."""
    found = registry() if pytype is not None else None
    if found is None:
        return False
    try:
        return bool(found.check_supported_type(pytype))
    except TypeError:
        return False


def _name(pytype: Any) -> str:
    return getattr(pytype, "__name__", None) or repr(pytype)


def bind_sdk_parameter(
    function_name: str, pname: str, binding: BindingSpec, pytype: Any, fail: Fail
) -> tuple[Any, Decoder, bool]:
    """(converter, decoder, reads trigger metadata) of an SDK-typed input; ``fail`` builds the
    load error when no installed extension serves this binding type with this annotation."""
    found = registry()
    converter = found.get(binding.type) if found is not None else None
    if converter is None:
        served = sorted(k for k in getattr(found, "_bindings", {}) if isinstance(k, str))
        raise fail(
            f"parameter '{pname}' is annotated {_name(pytype)}, an SDK type, but no installed "
            f"azurefunctions-extensions package serves binding type '{binding.type}' "
            f"(they serve: {', '.join(served) or 'none'})"
        )
    try:
        accepted = bool(converter.check_input_type_annotation(pytype))
    except TypeError:
        accepted = False
    if not accepted:
        raise fail(
            f"parameter '{pname}' is annotated {_name(pytype)}, which the extension serving "
            f"binding type '{binding.type}' does not accept"
        )
    probe = getattr(converter, "has_trigger_support", None)
    trigger = bool(probe()) if probe is not None else False
    return converter, _decoder(function_name, pname, binding, converter, pytype), trigger


# ---------------------------------------------------------------- per invocation

_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget the clients kept for reuse (an environment reload brings new settings)."""
    with _cache_lock:
        _cache.clear()


def _reusable(value: Any) -> bool:
    """Clients are kept; a downloader is a stream read once, so each invocation gets its own."""
    return value is not None and not hasattr(value, "readall")


def _decoder(function_name: str, pname: str, binding: BindingSpec, converter: Any, pytype: Any) -> Decoder:
    where = f"function '{function_name}': parameter '{pname}' ({_name(pytype)}, binding '{binding.type}')"

    def decode(data: pb.TypedData, metadata: Mapping[str, Datum]) -> Any:
        kind = data.WhichOneof("data")
        if kind not in _REFERENCE_KINDS:
            sent = f"{kind} data (the content itself)" if kind else "no value"
            raise BindingError(
                f"{where} is an SDK type, built from a reference to the resource (model_binding_data) "
                f"that the host sends when the binding says SupportsDeferredBinding; it sent {sent} "
                "instead. SDK types need a v2 (decorator) app and a host that supports them"
            )
        value = getattr(data, kind)
        key = (pname, pytype, value.content, function_name) if kind == "model_binding_data" else None
        if key is not None:
            with _cache_lock:
                cached = _cache.get(key)
                if cached is not None:
                    _cache.move_to_end(key)
                    return cached
        try:
            made = converter.decode(Datum(value, kind), trigger_metadata=metadata, pytype=pytype)
        except Exception as exc:
            raise BindingError(f"{where}: cannot create the client: {_describe(exc)}") from exc
        if key is not None and _reusable(made):
            with _cache_lock:
                _cache[key] = made
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        return made

    return decode


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------- indexing


@dataclass(frozen=True)
class _ParamType:
    """What the base package reads for each parameter when it writes the raw bindings."""

    binding_name: str
    pytype: Any


def raw_bindings(function: Any, inputs: Mapping[str, Any]) -> list[str] | None:
    """The raw binding JSON of a v2 function with an SDK-typed input, as the base package writes
    it (each binding gets ``properties.SupportsDeferredBinding``); None when it has none.
    ``inputs`` maps parameter names to ParamBindings (``.binding.type``, ``.pytype``)."""
    found = registry()
    if found is None or not any(is_sdk_type(p.pytype) for p in inputs.values()):
        return None
    types = {name: _ParamType(p.binding.type, p.pytype) for name, p in inputs.items()}
    written, _logs = found.get_raw_bindings(function, types)
    return [text if isinstance(text, str) else json.dumps(text) for text in written]
