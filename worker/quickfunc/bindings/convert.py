"""Converter layer: user values <-> Datum via the azure.functions registry, or a generic fallback.

Implements protocol §7.2 rules 3, 7, 8 and §8.1 steps 3, 9, 10 (converter table in §8.3).
Load-time choices (converter_for, choose_converter, check_annotation) are made once per function;
decode_input / encode_output are the lean per-invocation calls.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions.meta import Datum

from quickfunc.protos import pb

from . import http as _http
from .datum import to_typed_data

__all__ = [
    "BindingError",
    "BindingSpec",
    "GenericConverter",
    "check_annotation",
    "choose_converter",
    "converter_for",
    "decode_input",
    "encode_output",
    "has_implicit_output",
    "unknown_type_note",
]

_DIRECTIONS = ("in", "out", "inout")


class BindingError(Exception):
    """A value could not be converted for a binding; the message is for the function's author."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BindingSpec:
    """What the converter layer needs to know about one binding."""

    name: str
    type: str
    direction: str  # "in" | "out" | "inout"
    data_type: int = 0  # BindingInfo.DataType: 0 undefined, 1 string, 2 binary, 3 stream

    @classmethod
    def from_binding_info(cls, name: str, info: pb.BindingInfo) -> BindingSpec:
        """Build from a protobuf BindingInfo (direction and data_type are enum numbers)."""
        return cls(name, info.type, _DIRECTIONS[info.direction], int(info.data_type))


# ---------------------------------------------------------------- the generic converter

_ANY_ANNOTATIONS = (object, typing.Any)
_COLLECTION_TYPES = {
    "collection_bytes": "bytes",
    "collection_string": "string",
    "collection_double": "double",
    "collection_sint64": "sint64",
}


class GenericConverter:
    """Converter for binding types the registry does not know (and for plain str/bytes parameters).

    A plain class on purpose: it must not be registered in the library's registry.
    """

    ACCEPTED_OUTPUTS = "str, bytes, bytearray, dict, list, int, float or bool"

    @classmethod
    def has_trigger_support(cls) -> bool:
        return False

    @classmethod
    def has_implicit_output(cls) -> bool:
        return True

    @classmethod
    def check_input_type_annotation(cls, pytype: Any) -> bool:
        if pytype is None or any(pytype is a for a in _ANY_ANNOTATIONS):
            return True
        return isinstance(pytype, type) and issubclass(pytype, (str, bytes))

    @classmethod
    def check_output_type_annotation(cls, pytype: Any) -> bool:
        if pytype is None or any(pytype is a for a in _ANY_ANNOTATIONS):
            return True
        return isinstance(pytype, type) and issubclass(pytype, (str, bytes, bytearray))

    @classmethod
    def decode(cls, data: Datum | None, *, trigger_metadata: Mapping[str, Datum] | None = None) -> Any:
        """string/bytes/json (as text)/int/double -> value; collections -> list; unset -> None."""
        if data is None or data.type is None:
            return None
        kind = data.type
        if kind in ("string", "bytes", "json", "int", "double"):
            return data.value
        field = _COLLECTION_TYPES.get(kind)
        if field is not None:
            value = data.value
            return list(value) if isinstance(value, (list, tuple)) else list(getattr(value, field))
        raise ValueError(f"unexpected type of data received for the generic binding: {kind!r}")

    @classmethod
    def encode(cls, obj: Any, *, expected_type: Any = None) -> Datum:
        """str/bytes as is; None -> no value; dict/list -> JSON; bool/int/float -> int/double."""
        if isinstance(obj, str):
            return Datum(obj, "string")
        if isinstance(obj, (bytes, bytearray)):
            return Datum(bytes(obj), "bytes")
        if obj is None:
            return Datum(None, None)
        if isinstance(obj, (dict, list)):
            return Datum(json.dumps(obj), "json")
        if isinstance(obj, int):  # bool included
            return Datum(int(obj), "int")
        if isinstance(obj, float):
            return Datum(obj, "double")
        raise TypeError(f"the generic converter cannot encode Python type {type(obj).__name__}")


# ---------------------------------------------------------------- load-time choices

_REGISTRY = func.get_binding_registry()
_CONVERTERS: dict[str, Any] = {}


def converter_for(binding_type: str) -> Any:
    """The registry's converter for ``binding_type``, or GenericConverter when it has none.

    Only registry hits are cached, so a converter registered later (an extension imported by
    the app) is still found.
    """
    conv = _CONVERTERS.get(binding_type)
    if conv is None:
        conv = _REGISTRY.get(binding_type)
        if conv is None:
            return GenericConverter
        _CONVERTERS[binding_type] = conv
    return conv


def unknown_type_note(binding_type: str) -> str:
    """For a binding type the registry does not know: a sentence naming it and the nearest known
    type (a typo such as 'httpTriger'); empty for a known type."""
    if _REGISTRY.get(binding_type) is not None:
        return ""
    import difflib  # only on this error path

    known = [name for name in _REGISTRY._bindings if isinstance(name, str)]
    same = [name for name in known if name.lower() == binding_type.lower()]
    nearest = same or difflib.get_close_matches(binding_type, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{nearest[0]}'?)" if nearest else ""
    return f"'{binding_type}' is not a binding type the azure.functions library knows{hint}"


def has_implicit_output(converter: Any) -> bool:
    """True when the function's return value goes to this trigger's output (§7.2 rule 3)."""
    probe = getattr(converter, "has_implicit_output", None)
    return bool(probe()) if probe is not None else False


def choose_converter(binding: BindingSpec, pytype: type | None) -> Any:
    """§7.2 rule 7: exactly-str/bytes annotations bypass converters without implicit output."""
    conv = converter_for(binding.type)
    if (pytype is str or pytype is bytes) and not has_implicit_output(conv):
        return GenericConverter
    return conv


def check_annotation(binding: BindingSpec, converter: Any, pytype: Any, is_output: bool) -> bool:
    """§7.2 rule 8: does the converter accept this annotation? Unannotated (None) always passes."""
    if pytype is None:
        return True
    name = "check_output_type_annotation" if is_output else "check_input_type_annotation"
    check = getattr(converter, name, None)
    if check is None:
        return False
    try:
        return bool(check(pytype))
    except TypeError:  # issubclass() on a generic alias or other non-class annotation
        return False


# ---------------------------------------------------------------- per-invocation calls

_NO_METADATA: Mapping[str, Datum] = {}
# converter -> (has trigger support, decode takes a pytype keyword); decided once per converter
_TRAITS: dict[Any, tuple[bool, bool]] = {}


def _traits(converter: Any) -> tuple[bool, bool]:
    traits = _TRAITS.get(converter)
    if traits is None:
        probe = getattr(converter, "has_trigger_support", None)
        trigger = bool(probe()) if probe is not None else False
        traits = _TRAITS[converter] = (trigger, _decode_takes_pytype(converter))
    return traits


def _decode_takes_pytype(converter: Any) -> bool:
    try:
        params = inspect.signature(converter.decode).parameters
    except (AttributeError, TypeError, ValueError):
        return False
    return "pytype" in params


def decode_input(
    binding: BindingSpec,
    converter: Any,
    datum: Datum | None,
    trigger_metadata: Mapping[str, Datum],
    pytype: Any,
) -> Any:
    """The Python value for an input binding (§8.1 step 3); raises BindingError."""
    trigger, takes_pytype = _traits(converter)
    metadata = trigger_metadata if trigger else _NO_METADATA
    try:
        if takes_pytype:
            return converter.decode(datum, trigger_metadata=metadata, pytype=pytype)
        return converter.decode(datum, trigger_metadata=metadata)
    except NotImplementedError:
        raise _unsupported_input(binding, datum) from None
    except Exception as exc:
        if datum is None and isinstance(exc, (AttributeError, TypeError)):
            raise _unsupported_input(binding, datum) from exc
        raise BindingError(
            f"cannot decode the input of binding '{binding.name}' ({binding.type}): {_describe(exc)}"
        ) from exc


def _unsupported_input(binding: BindingSpec, datum: Datum | None) -> BindingError:
    kind = datum.type if datum is not None and datum.type else "no value"
    return BindingError(
        f"cannot decode the input of binding '{binding.name}' ({binding.type}): the host sent "
        f"{kind} data, which this binding's converter does not accept"
    )


def encode_output(binding: BindingSpec, converter: Any, value: Any, pytype: Any) -> pb.TypedData | None:
    """The TypedData for an output/return value (§8.1 steps 9-10); None means no output.

    An http output refuses None (and all but str/HttpResponse) as the official worker does. Out
    parameters left unset never come here; a function's own ``None`` for its ``$return`` goes to
    the converter as on the platform, so queue, blob, Service Bus and Cosmos DB refuse it while
    Event Hubs and generic bindings send no value.
    """
    datum: Datum | None
    if binding.type == "http":
        datum = _encode_http(binding, value)
    else:
        datum = _encode_with(binding, converter, value, pytype)
    try:
        return to_typed_data(datum)
    except TypeError as exc:
        raise BindingError(
            f"{_encode_prefix(binding)}Python type {type(value).__name__} is not supported "
            f"({exc}); {_accepted_outputs(binding, converter)}"
        ) from exc
    except ValueError as exc:
        raise BindingError(f"{_encode_prefix(binding)}{exc}") from exc


def _encode_http(binding: BindingSpec, value: Any) -> Datum:
    try:
        return _http.plain_http_return(value, binding.name)
    except TypeError as exc:
        raise BindingError(f"{_encode_prefix(binding)}{exc}") from None


def _encode_with(binding: BindingSpec, converter: Any, value: Any, pytype: Any) -> Datum | None:
    encode = getattr(converter, "encode", None)
    if encode is None:
        raise BindingError(f"{_encode_prefix(binding)}this binding type cannot be used for output")
    try:
        return encode(value, expected_type=pytype)
    except (NotImplementedError, TypeError) as exc:
        if value is None:
            raise BindingError(
                f"{_encode_prefix(binding)}the function returned None, and this binding does not "
                f"take None ({_accepted_outputs(binding, converter)}); to send nothing on some "
                "calls, use an output parameter (func.Out) and leave it unset"
            ) from None
        detail = f" ({exc})" if str(exc) else ""
        raise BindingError(
            f"{_encode_prefix(binding)}Python type {type(value).__name__} is not supported"
            f"{detail}; {_accepted_outputs(binding, converter)}"
        ) from exc
    except Exception as exc:
        raise BindingError(f"{_encode_prefix(binding)}{_describe(exc)}") from exc


def _encode_prefix(binding: BindingSpec) -> str:
    return f"cannot encode the value returned for binding '{binding.name}' ({binding.type}): "


# What the library's output converters take, by binding type (protocol §8.3), for error messages.
_OUTPUT_ACCEPTS = {
    "http": _http.HTTP_OUTPUT_ACCEPTS,
    "queue": "str, bytes, func.QueueMessage, or a list of str/func.QueueMessage",
    "blob": "str, bytes, bytearray, func.InputStream or a file-like object with read()",
    "blobTrigger": "str, bytes, bytearray, func.InputStream or a file-like object with read()",
    "serviceBus": "str or bytes",
    "eventHub": "str, bytes, int or a list",
    "eventHubTrigger": "str, bytes, int or a list",
    "cosmosDB": "func.Document, func.DocumentList or a list of func.Document",
    "cosmosDBTrigger": "func.Document, func.DocumentList or a list of func.Document",
    "eventGrid": "str, bytes, func.EventGridOutputEvent, or a list of str/EventGridOutputEvent",
    "durableClient": "str or bytes",
    "sql": "func.SqlRow or func.SqlRowList",
    "mysql": "func.MySqlRow or func.MySqlRowList",
    "activityTrigger": "a JSON-serialisable value",
    "orchestrationTrigger": "the JSON text produced by the durable functions SDK",
    "entityTrigger": "the JSON text produced by the durable functions SDK",
}


def _accepted_outputs(binding: BindingSpec, converter: Any) -> str:
    accepted = getattr(converter, "ACCEPTED_OUTPUTS", None) or _OUTPUT_ACCEPTS.get(binding.type)
    if accepted:
        return f"this binding accepts {accepted}"
    return "see the binding's documentation for the Python types it accepts"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, json.JSONDecodeError):  # orjson's error is a subclass too
        return f"the data is not valid JSON ({text})"
    if isinstance(exc, ValueError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
