"""Tests for quickfunc.bindings.datum: TypedData <-> Datum in both directions."""

import math

import pytest
from azure.functions.meta import Datum
from hypothesis import given, settings
from hypothesis import strategies as st

from quickfunc.bindings.convert import BindingError
from quickfunc.bindings.datum import to_datum, to_typed_data, trigger_metadata_datums
from quickfunc.protos import pb

SINT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def mbd(content: bytes = b'{"blob": "x"}') -> pb.ModelBindingData:
    return pb.ModelBindingData(
        version="1.0", source="AzureStorageBlobs", content_type="application/json", content=content
    )


# ------------------------------------------------------------------ to_datum


@pytest.mark.parametrize(
    "td, kind, value",
    [
        (pb.TypedData(string="héllo"), "string", "héllo"),
        (pb.TypedData(json='{"a": 1}'), "json", '{"a": 1}'),
        (pb.TypedData(bytes=b"\x00\x01"), "bytes", b"\x00\x01"),
        (pb.TypedData(stream=b"\x02"), "bytes", b"\x02"),
        (pb.TypedData(int=-7), "int", -7),
        (pb.TypedData(double=2.5), "double", 2.5),
        (pb.TypedData(string=""), "string", ""),
        (pb.TypedData(int=0), "int", 0),
    ],
)
def test_scalar_members_become_datums_of_their_kind(td, kind, value):
    d = to_datum(td)
    assert d is not None
    assert (d.type, d.value) == (kind, value)


def test_unset_typed_data_means_no_value():
    assert to_datum(pb.TypedData()) is None


@pytest.mark.parametrize(
    "kind, message, python_value",
    [
        ("collection_bytes", pb.CollectionBytes(bytes=[b"a", b"b"]), [b"a", b"b"]),
        ("collection_string", pb.CollectionString(string=["x", "y"]), ["x", "y"]),
        ("collection_sint64", pb.CollectionSInt64(sint64=[1, -2]), [1, -2]),
        ("collection_double", pb.CollectionDouble(double=[0.5]), [0.5]),
    ],
)
def test_collections_keep_the_message_and_type_name(kind, message, python_value):
    d = to_datum(pb.TypedData(**{kind: message}))
    assert d is not None
    assert d.type == kind
    assert d.value == message
    assert d.python_value == python_value


def test_model_binding_data_members_are_passed_as_messages():
    d = to_datum(pb.TypedData(model_binding_data=mbd()))
    assert d is not None
    assert d.type == "model_binding_data" and d.value.source == "AzureStorageBlobs"
    coll = pb.CollectionModelBindingData(model_binding_data=[mbd(b"1"), mbd(b"2")])
    d = to_datum(pb.TypedData(collection_model_binding_data=coll))
    assert d is not None
    assert d.type == "collection_model_binding_data"
    assert [m.content for m in d.value.model_binding_data] == [b"1", b"2"]


def test_http_request_becomes_dict_of_datums():
    td = pb.TypedData(
        http=pb.RpcHttp(
            method="POST",
            url="http://h/api/x?a=1",
            headers={"content-type": "text/plain"},
            params={"id": "7"},
            query={"a": "1"},
            body=pb.TypedData(string="hi"),
        )
    )
    d = to_datum(td)
    assert d is not None
    assert d.type == "http"
    v = d.value
    assert v["method"] == Datum("POST", "string")
    assert v["url"] == Datum("http://h/api/x?a=1", "string")
    assert v["headers"] == {"content-type": Datum("text/plain", "string")}
    assert v["params"] == {"id": Datum("7", "string")}
    assert v["query"] == {"a": Datum("1", "string")}
    assert v["body"] == Datum("hi", "string")


def test_http_request_without_body_gets_empty_bytes_body():
    d = to_datum(pb.TypedData(http=pb.RpcHttp(method="GET", url="http://h/")))
    assert d is not None
    assert d.value["body"] == Datum(b"", "bytes")
    # a body that is present but carries no value is the same thing
    d = to_datum(pb.TypedData(http=pb.RpcHttp(method="GET", url="u", body=pb.TypedData())))
    assert d is not None
    assert d.value["body"] == Datum(b"", "bytes")


def test_http_request_uses_nullable_maps_when_the_host_fills_them():
    rpc = pb.RpcHttp(method="GET", url="u")
    rpc.nullable_headers["x-a"].value = "1"
    rpc.nullable_query["empty"].CopyFrom(pb.NullableString())  # no value -> ""
    rpc.nullable_query["q"].value = "v"
    rpc.nullable_params["id"].value = "9"
    d = to_datum(pb.TypedData(http=rpc))
    assert d is not None
    v = d.value
    assert v["headers"] == {"x-a": Datum("1", "string")}
    assert v["query"] == {"empty": Datum("", "string"), "q": Datum("v", "string")}
    assert v["params"] == {"id": Datum("9", "string")}


def test_http_request_identities_are_passed_along():
    rpc = pb.RpcHttp(method="GET", url="u")
    rpc.identities.add().authentication_type.value = "aad"
    d = to_datum(pb.TypedData(http=rpc))
    assert d is not None
    v = d.value
    assert v["identities"][0].authentication_type.value == "aad"


def test_trigger_metadata_skips_entries_without_value():
    md = {
        "Id": pb.TypedData(string="abc"),
        "DequeueCount": pb.TypedData(int=2),
        "Empty": pb.TypedData(),
        "Score": pb.TypedData(double=1.5),
    }
    assert trigger_metadata_datums(md) == {
        "Id": Datum("abc", "string"),
        "DequeueCount": Datum(2, "int"),
        "Score": Datum(1.5, "double"),
    }


def test_trigger_metadata_from_protobuf_map():
    req = pb.InvocationRequest()
    req.trigger_metadata["sys"].json = "{}"
    assert trigger_metadata_datums(req.trigger_metadata) == {"sys": Datum("{}", "json")}


# ------------------------------------------------------------------ to_typed_data


@pytest.mark.parametrize(
    "datum, expected",
    [
        (Datum("s", "string"), pb.TypedData(string="s")),
        (Datum("[1]", "json"), pb.TypedData(json="[1]")),
        (Datum(b"b", "bytes"), pb.TypedData(bytes=b"b")),
        (Datum(bytearray(b"ba"), "bytes"), pb.TypedData(bytes=b"ba")),
        (Datum(5, "int"), pb.TypedData(int=5)),
        (Datum(1.25, "double"), pb.TypedData(double=1.25)),
        (Datum(3, "double"), pb.TypedData(double=3.0)),
    ],
)
def test_scalar_datums_become_typed_data(datum, expected):
    assert to_typed_data(datum) == expected


def test_no_value_datums_become_none():
    assert to_typed_data(None) is None
    assert to_typed_data(Datum(None, None)) is None
    assert to_typed_data(Datum("ignored", None)) is None


@pytest.mark.parametrize(
    "kind, items, message",
    [
        ("collection_string", ["a", "b"], pb.CollectionString(string=["a", "b"])),
        ("collection_bytes", [b"a"], pb.CollectionBytes(bytes=[b"a"])),
        ("collection_double", [1.5, 2.0], pb.CollectionDouble(double=[1.5, 2.0])),
        ("collection_sint64", (1, 2, 3), pb.CollectionSInt64(sint64=[1, 2, 3])),
    ],
)
def test_collection_datums_accept_lists_or_messages(kind, items, message):
    expected = pb.TypedData(**{kind: message})
    assert to_typed_data(Datum(items, kind)) == expected
    assert to_typed_data(Datum(message, kind)) == expected


def test_http_datum_becomes_rpc_http():
    d = Datum(
        {"status_code": Datum("201", "string"), "headers": {}, "cookies": None, "body": Datum(b"ok", "bytes")}, "http"
    )
    td = to_typed_data(d)
    assert td is not None
    assert td.http.status_code == "201" and td.http.body.bytes == b"ok"


@pytest.mark.parametrize(
    "datum", [Datum({"a": 1}, "dict"), Datum([1], "list"), Datum(True, "bool"), Datum("x", "weird")]
)
def test_unknown_datum_type_is_a_type_error_naming_it(datum):
    with pytest.raises(TypeError, match=repr(datum.type)):
        to_typed_data(datum)


@pytest.mark.parametrize(
    "datum",
    [
        Datum(b"x", "string"),
        Datum({"a": 1}, "json"),
        Datum("x", "bytes"),
        Datum("1", "int"),
        Datum("1.0", "double"),
        Datum("ab", "collection_string"),
        Datum([1], "collection_string"),
        Datum(2**64, "int"),
        Datum(5, "collection_bytes"),
        Datum(b"x", "model_binding_data"),
    ],
)
def test_value_of_the_wrong_python_type_is_a_type_error(datum):
    with pytest.raises(TypeError):
        to_typed_data(datum)


# ------------------------------------------------------------------ round trips

ROUND_TRIP_MEMBERS = [
    pb.TypedData(string="s"),
    pb.TypedData(json='{"k": [1, 2]}'),
    pb.TypedData(bytes=b"\xff"),
    pb.TypedData(int=-(2**63)),
    pb.TypedData(double=-0.5),
    pb.TypedData(collection_bytes=pb.CollectionBytes(bytes=[b"", b"x"])),
    pb.TypedData(collection_string=pb.CollectionString(string=["", "y"])),
    pb.TypedData(collection_double=pb.CollectionDouble(double=[1e300])),
    pb.TypedData(collection_sint64=pb.CollectionSInt64(sint64=[2**63 - 1])),
    pb.TypedData(model_binding_data=mbd()),
    pb.TypedData(collection_model_binding_data=pb.CollectionModelBindingData(model_binding_data=[mbd()])),
]


@pytest.mark.parametrize("td", ROUND_TRIP_MEMBERS, ids=lambda td: td.WhichOneof("data"))
def test_every_member_round_trips(td):
    assert to_typed_data(to_datum(td)) == td


def test_stream_comes_back_as_bytes():
    assert to_typed_data(to_datum(pb.TypedData(stream=b"abc"))) == pb.TypedData(bytes=b"abc")


def test_http_request_bytes_body_is_kept():
    td = pb.TypedData(http=pb.RpcHttp(method="GET", url="u", body=pb.TypedData(bytes=b"b")))
    d = to_datum(td)
    assert d is not None
    assert d.value["body"].value == b"b"


# ------------------------------------------------------------------ properties

typed_data = st.one_of(
    st.text().map(lambda s: pb.TypedData(string=s)),
    st.text().map(lambda s: pb.TypedData(json=s)),
    st.binary().map(lambda b: pb.TypedData(bytes=b)),
    SINT64.map(lambda i: pb.TypedData(int=i)),
    st.floats(allow_nan=False).map(lambda f: pb.TypedData(double=f)),
    st.lists(st.binary()).map(lambda v: pb.TypedData(collection_bytes=pb.CollectionBytes(bytes=v))),
    st.lists(st.text()).map(lambda v: pb.TypedData(collection_string=pb.CollectionString(string=v))),
    st.lists(SINT64).map(lambda v: pb.TypedData(collection_sint64=pb.CollectionSInt64(sint64=v))),
    st.lists(st.floats(allow_nan=False)).map(lambda v: pb.TypedData(collection_double=pb.CollectionDouble(double=v))),
    st.just(pb.TypedData()),
)


@settings(max_examples=300)
@given(typed_data)
def test_property_any_typed_data_round_trips(td):
    d = to_datum(td)
    back = to_typed_data(d)
    if td.WhichOneof("data") is None:
        assert d is None and back is None
    else:
        assert back == td


@given(st.floats(allow_nan=True))
def test_property_doubles_survive_including_nan(x):
    td = to_typed_data(to_datum(pb.TypedData(double=x)))
    assert td is not None
    back = td.double
    assert back == x or (math.isnan(x) and math.isnan(back))


@given(
    st.one_of(
        st.none(),
        st.text(),
        st.binary(),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.lists(st.integers()),
        st.dictionaries(st.text(), st.integers()),
    ),
    st.sampled_from(
        [
            "string",
            "json",
            "bytes",
            "int",
            "double",
            "collection_string",
            "collection_bytes",
            "collection_sint64",
            "collection_double",
            "model_binding_data",
            "http",
            "other",
            None,
        ]
    ),
)
def test_property_arbitrary_datums_encode_or_raise_type_error(value, kind):
    try:
        result = to_typed_data(Datum(value, kind))
    except (TypeError, BindingError):
        return
    assert result is None or isinstance(result, pb.TypedData)


_parts = st.one_of(
    st.none(),
    st.integers(),
    st.text(),
    st.binary(),
    st.lists(st.text()),
    st.dictionaries(st.text(), st.text()),
    st.builds(Datum, st.one_of(st.text(), st.binary(), st.integers()), st.sampled_from(["string", "bytes", "int"])),
)


@given(st.dictionaries(st.sampled_from(["status_code", "headers", "cookies", "body"]), _parts))
def test_property_malformed_http_datums_raise_only_type_or_value_error(value):
    try:
        result = to_typed_data(Datum(value, "http"))
    except (TypeError, ValueError):
        return
    assert result is not None
    assert result.http.HasField("body")
