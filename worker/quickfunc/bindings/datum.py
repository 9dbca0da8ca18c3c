"""Wire values: protobuf TypedData <-> the azure.functions library's Datum (protocol §3.4, §8.2).

Runs on every invocation, so both directions dispatch through module-level tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from azure.functions.meta import Datum

from quickfunc.protos import pb

from .http import datum_to_rpc_http

__all__ = ["to_datum", "to_typed_data", "trigger_metadata_datums"]


# ---------------------------------------------------------------- TypedData -> Datum


def _string(td: pb.TypedData) -> Datum:
    return Datum(td.string, "string")


def _json(td: pb.TypedData) -> Datum:
    return Datum(td.json, "json")


def _bytes(td: pb.TypedData) -> Datum:
    return Datum(td.bytes, "bytes")


def _stream(td: pb.TypedData) -> Datum:
    return Datum(td.stream, "bytes")


def _int(td: pb.TypedData) -> Datum:
    return Datum(td.int, "int")


def _double(td: pb.TypedData) -> Datum:
    return Datum(td.double, "double")


def _member(kind: str) -> Callable[[pb.TypedData], Datum]:
    """Decoder for members whose Datum value is the protobuf message itself."""

    def decode(td: pb.TypedData) -> Datum:
        return Datum(getattr(td, kind), kind)

    decode.__name__ = f"_{kind}"
    return decode


def _string_map(plain: Mapping[str, str], nullable: Mapping[str, Any]) -> dict[str, Datum]:
    """Header/param/query map; the host fills the nullable_* variant instead when asked to."""
    if nullable:
        return {k: Datum(v.value, "string") for k, v in nullable.items()}
    return {k: Datum(v, "string") for k, v in plain.items()}


_EMPTY_BODY_BYTES = b""


def _http(td: pb.TypedData) -> Datum:
    h = td.http
    body = to_datum(h.body) if h.HasField("body") else None
    value = {
        "method": Datum(h.method, "string"),
        "url": Datum(h.url, "string"),
        "headers": _string_map(h.headers, h.nullable_headers),
        "params": _string_map(h.params, h.nullable_params),
        "query": _string_map(h.query, h.nullable_query),
        "body": body if body is not None else Datum(_EMPTY_BODY_BYTES, "bytes"),
    }
    if h.identities:
        value["identities"] = list(h.identities)
    return Datum(value, "http")


_DECODERS: dict[str, Callable[[pb.TypedData], Datum]] = {
    "string": _string,
    "json": _json,
    "bytes": _bytes,
    "stream": _stream,
    "http": _http,
    "int": _int,
    "double": _double,
    "collection_bytes": _member("collection_bytes"),
    "collection_string": _member("collection_string"),
    "collection_double": _member("collection_double"),
    "collection_sint64": _member("collection_sint64"),
    "model_binding_data": _member("model_binding_data"),
    "collection_model_binding_data": _member("collection_model_binding_data"),
}


def to_datum(td: pb.TypedData) -> Datum | None:
    """The Datum converters receive for ``td``; ``None`` for an unset TypedData ("no value")."""
    kind = td.WhichOneof("data")
    if kind is None:
        return None
    decoder = _DECODERS.get(kind)
    if decoder is None:  # a member added to the proto after this code was written
        raise TypeError(f"the host sent TypedData of kind {kind!r}, which this worker cannot read")
    return decoder(td)


def trigger_metadata_datums(md: Mapping[str, pb.TypedData]) -> dict[str, Datum]:
    """Trigger metadata as name -> Datum, leaving out entries that carry no value."""
    return {k: d for k, td in md.items() if (d := to_datum(td)) is not None}


# ---------------------------------------------------------------- Datum -> TypedData


def _wrong_value(kind: str, value: Any, wanted: str) -> TypeError:
    return TypeError(f"a {kind!r} output value must be {wanted}, got Python type {type(value).__name__}")


def _enc_string(value: Any) -> pb.TypedData:
    if not isinstance(value, str):
        raise _wrong_value("string", value, "a str")
    return pb.TypedData(string=value)


def _enc_json(value: Any) -> pb.TypedData:
    if not isinstance(value, str):
        raise _wrong_value("json", value, "JSON text (a str)")
    return pb.TypedData(json=value)


def _enc_bytes(value: Any) -> pb.TypedData:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise _wrong_value("bytes", value, "bytes")
    return pb.TypedData(bytes=bytes(value))


def _enc_int(value: Any) -> pb.TypedData:
    if not isinstance(value, int):
        raise _wrong_value("int", value, "an int")
    try:
        return pb.TypedData(int=value)
    except ValueError:
        raise TypeError(f"the int output value {value} does not fit in 64 bits") from None


def _enc_double(value: Any) -> pb.TypedData:
    if not isinstance(value, (int, float)):
        raise _wrong_value("double", value, "a float")
    return pb.TypedData(double=float(value))


def _enc_http(value: Any) -> pb.TypedData:
    if not isinstance(value, Mapping):
        raise _wrong_value("http", value, "a dict of response parts")
    return pb.TypedData(http=datum_to_rpc_http(Datum(value, "http")))


def _iterable(value: Any) -> bool:
    return hasattr(value, "__iter__")


def _collection(kind: str, message: type, field: str) -> Callable[[Any], pb.TypedData]:
    """Encoder for a collection: the value is the collection message or a list of items."""

    def encode(value: Any) -> pb.TypedData:
        if not isinstance(value, message):
            if isinstance(value, (str, bytes, bytearray, Mapping)) or not _iterable(value):
                raise _wrong_value(kind, value, f"a list or {message.__name__}")
            try:
                value = message(**{field: list(value)})
            except (TypeError, ValueError) as exc:
                raise TypeError(f"a {kind!r} output value has an item of the wrong type: {exc}") from None
        return pb.TypedData(**{kind: value})

    encode.__name__ = f"_enc_{kind}"
    return encode


def _enc_model_binding_data(value: Any) -> pb.TypedData:
    if not isinstance(value, pb.ModelBindingData):
        raise _wrong_value("model_binding_data", value, "a ModelBindingData message")
    return pb.TypedData(model_binding_data=value)


_ENCODERS: dict[str, Callable[[Any], pb.TypedData]] = {
    "string": _enc_string,
    "json": _enc_json,
    "bytes": _enc_bytes,
    "int": _enc_int,
    "double": _enc_double,
    "http": _enc_http,
    "collection_bytes": _collection("collection_bytes", pb.CollectionBytes, "bytes"),
    "collection_string": _collection("collection_string", pb.CollectionString, "string"),
    "collection_double": _collection("collection_double", pb.CollectionDouble, "double"),
    "collection_sint64": _collection("collection_sint64", pb.CollectionSInt64, "sint64"),
    "model_binding_data": _enc_model_binding_data,
    "collection_model_binding_data": _collection(
        "collection_model_binding_data", pb.CollectionModelBindingData, "model_binding_data"
    ),
}


def to_typed_data(d: Datum | None) -> pb.TypedData | None:
    """The TypedData for an output Datum; ``None`` means "no value".

    Raises TypeError when the Datum's type (or its value) cannot be expressed as TypedData.
    """
    if d is None or d.type is None:
        return None
    encoder = _ENCODERS.get(d.type)
    if encoder is None:
        raise TypeError(
            f"a converter produced an output of type {d.type!r}, which cannot be sent to the "
            f"host (supported: {', '.join(_ENCODERS)})"
        )
    return encoder(d.value)
