"""Tests for quickfunc.bindings.convert: converter choice, annotation checks, decode and encode."""

import datetime
import json
import typing
from typing import Any

import azure.functions as func
import pytest
from azure.functions.blob import InputStream as BlobInputStream
from azure.functions.http import HttpResponseConverter
from azure.functions.meta import Datum
from azure.functions.timer import TimerRequest as TimerInfo
from hypothesis import given
from hypothesis import strategies as st

from quickfunc.bindings.convert import (
    BindingError,
    BindingSpec,
    GenericConverter,
    check_annotation,
    choose_converter,
    converter_for,
    decode_input,
    encode_output,
    has_implicit_output,
)
from quickfunc.bindings.datum import to_datum, trigger_metadata_datums
from quickfunc.protos import pb

UTC = datetime.timezone.utc
# the library's annotation checks take typing.List and list[...] differently; these tests use typing's
List, Dict = typing.List, typing.Dict  # noqa: UP006


def spec(type_: str, name: str = "arg", direction: str = "in") -> BindingSpec:
    return BindingSpec(name=name, type=type_, direction=direction)


def decode(type_: str, td: pb.TypedData, metadata: dict | None = None, pytype: Any = None, name: str = "arg") -> Any:
    """Decode like an invocation does: converter chosen from the type and annotation."""
    binding = spec(type_, name)
    conv = choose_converter(binding, pytype)
    md = trigger_metadata_datums(metadata or {})
    return decode_input(binding, conv, to_datum(td), md, pytype)


def encode(type_: str, value: Any, pytype: Any = None, name: str = "out") -> pb.TypedData | None:
    binding = spec(type_, name, "out")
    return encode_output(binding, choose_converter(binding, pytype), value, pytype)


def encoded(type_: str, value: Any, pytype: Any = None) -> pb.TypedData:
    """Encode, and check there is a value to send."""
    td = encode(type_, value, pytype)
    assert td is not None, f"{type_}: {value!r} encoded as no value"
    return td


# ------------------------------------------------------------------ BindingSpec & choices


def test_binding_spec_from_binding_info():
    info = pb.BindingInfo(type="blob", direction=pb.BindingInfo.out, data_type=pb.BindingInfo.binary)
    assert BindingSpec.from_binding_info("b", info) == BindingSpec("b", "blob", "out", 2)
    assert BindingSpec.from_binding_info("c", pb.BindingInfo(type="x")).direction == "in"


def test_converter_for_known_and_unknown_types():
    assert converter_for("httpTrigger") is func.get_binding_registry().get("httpTrigger")
    assert converter_for("queue") is converter_for("queue")
    assert converter_for("customThing") is GenericConverter
    assert converter_for("table") is GenericConverter


def test_generic_converter_is_not_in_the_library_registry():
    assert GenericConverter not in func.get_binding_registry()._bindings.values()


def test_rule7_str_or_bytes_annotation_on_a_trigger_uses_generic():
    queue = spec("queueTrigger")
    assert choose_converter(queue, str) is GenericConverter
    assert choose_converter(queue, bytes) is GenericConverter
    assert choose_converter(queue, func.QueueMessage) is converter_for("queueTrigger")
    assert choose_converter(queue, None) is converter_for("queueTrigger")


def test_rule7_does_not_apply_to_subclasses_or_implicit_output_triggers():
    class MyStr(str):
        pass

    assert choose_converter(spec("queueTrigger"), MyStr) is converter_for("queueTrigger")
    assert choose_converter(spec("activityTrigger"), str) is converter_for("activityTrigger")


def test_str_queue_trigger_gets_the_raw_body_without_metadata():
    assert decode("queueTrigger", pb.TypedData(string="raw"), {"Id": pb.TypedData(string="1")}, pytype=str) == "raw"


def test_implicit_output():
    assert has_implicit_output(GenericConverter)
    assert has_implicit_output(converter_for("orchestrationTrigger"))
    assert not has_implicit_output(converter_for("durableClient"))
    assert not has_implicit_output(converter_for("queueTrigger"))
    assert not has_implicit_output(converter_for("http"))  # output-only: no such method


@pytest.mark.parametrize(
    "type_, pytype, is_output, ok",
    [
        ("httpTrigger", func.HttpRequest, False, True),
        ("httpTrigger", str, False, False),
        ("http", func.HttpResponse, True, True),
        ("http", str, True, True),
        ("http", dict, True, False),
        ("queue", List[str], True, True),
        ("queue", func.QueueMessage, True, True),
        ("queue", str, False, False),  # output-only converter used as input
        ("queueTrigger", func.QueueMessage, True, False),  # input-only converter used as output
        ("eventHubTrigger", List[func.EventHubEvent], False, True),
        ("cosmosDB", Dict[str, int], False, False),  # issubclass TypeError -> False
        ("blob", func.InputStream, False, True),
        ("anything", None, False, True),
    ],
)
def test_check_annotation(type_, pytype, is_output, ok):
    binding = spec(type_)
    assert check_annotation(binding, converter_for(type_), pytype, is_output) is ok


@pytest.mark.parametrize(
    "pytype, is_output, ok",
    [
        (str, False, True),
        (bytes, False, True),
        (object, False, True),
        (Any, False, True),
        (None, False, True),
        (int, False, False),
        (bytearray, False, False),
        (List[str], False, False),
        (str, True, True),
        (bytes, True, True),
        (bytearray, True, True),
        (dict, True, False),
        (Any, True, True),
    ],
)
def test_generic_annotations(pytype, is_output, ok):
    assert check_annotation(spec("custom"), GenericConverter, pytype, is_output) is ok


# ------------------------------------------------------------------ decode: library triggers

QUEUE_MD = {
    "Id": pb.TypedData(string="m-1"),
    "DequeueCount": pb.TypedData(json="2"),
    "ExpirationTime": pb.TypedData(json='"2030-01-02T03:04:05+00:00"'),
    "InsertionTime": pb.TypedData(json='"2024-05-06T07:08:09.1234567Z"'),
    "NextVisibleTime": pb.TypedData(string="2024-05-06T07:18:09Z"),
    "PopReceipt": pb.TypedData(string="pr"),
}


def test_queue_message_with_trigger_metadata():
    msg = decode("queueTrigger", pb.TypedData(string='{"x": 1}'), QUEUE_MD, func.QueueMessage)
    assert isinstance(msg, func.QueueMessage)
    assert msg.get_body() == b'{"x": 1}' and msg.get_json() == {"x": 1}
    assert msg.id == "m-1" and msg.dequeue_count == 2 and msg.pop_receipt == "pr"
    assert msg.expiration_time == datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert msg.insertion_time == datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert msg.time_next_visible == datetime.datetime(2024, 5, 6, 7, 18, 9, tzinfo=UTC)


def test_queue_message_from_bytes_and_int_metadata():
    msg = decode("queueTrigger", pb.TypedData(bytes=b"\x01"), {"DequeueCount": pb.TypedData(int=5)}, func.QueueMessage)
    assert msg.get_body() == b"\x01" and msg.dequeue_count == 5


def test_queue_trigger_with_unsupported_data_names_binding_and_kind():
    with pytest.raises(BindingError) as info:
        decode("queueTrigger", pb.TypedData(int=3), QUEUE_MD, func.QueueMessage, name="msg")
    assert str(info.value) == (
        "cannot decode the input of binding 'msg' (queueTrigger): the host sent int data, "
        "which this binding's converter does not accept"
    )


def test_http_trigger_needs_http_data():
    with pytest.raises(BindingError, match=r"'req' \(httpTrigger\): the host sent string data"):
        decode("httpTrigger", pb.TypedData(string="x"), pytype=func.HttpRequest, name="req")


def test_missing_value_for_converter_that_needs_one():
    with pytest.raises(BindingError, match="the host sent no value data"):
        decode("httpTrigger", pb.TypedData(), pytype=func.HttpRequest, name="req")


def test_http_trigger_decodes_request_with_route_params():
    rpc = pb.RpcHttp(method="GET", url="http://h/api/items/5", params={"id": "5"}, headers={"accept": "*/*"})
    req = decode("httpTrigger", pb.TypedData(http=rpc), pytype=func.HttpRequest)
    assert req.route_params == {"id": "5"} and req.headers["Accept"] == "*/*"


def test_blob_input_stream_with_trigger_metadata():
    md = {
        "BlobTrigger": pb.TypedData(string="samples/a.txt"),
        "Uri": pb.TypedData(string="https://acct/samples/a.txt"),
        "Properties": pb.TypedData(json='{"ContentLength": 5, "ContentType": "text/plain"}'),
        "Metadata": pb.TypedData(json='{"k": "v"}'),
    }
    stream = decode("blobTrigger", pb.TypedData(bytes=b"hello"), md, func.InputStream)
    assert isinstance(stream, BlobInputStream)
    assert stream.read() == b"hello"
    assert stream.name == "samples/a.txt" and stream.uri == "https://acct/samples/a.txt"
    assert stream.length == 5 and stream.blob_properties["ContentType"] == "text/plain"
    assert stream.metadata == {"k": "v"}


def test_blob_input_from_string_is_utf8():
    stream = decode("blob", pb.TypedData(string="é"), pytype=func.InputStream)
    assert stream.read() == "é".encode()


def test_blob_bytes_annotation_is_generic_passthrough():
    assert decode("blobTrigger", pb.TypedData(bytes=b"raw"), pytype=bytes) == b"raw"


def test_timer_request_from_json():
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": {"Last": "x"}, "IsPastDue": True}
    timer = decode("timerTrigger", pb.TypedData(json=json.dumps(info)), pytype=func.TimerRequest)
    assert isinstance(timer, TimerInfo)
    assert timer.past_due is True
    assert timer.schedule == {"AdjustForDST": True} and timer.schedule_status == {"Last": "x"}


def test_invalid_json_for_a_json_binding_names_the_binding():
    with pytest.raises(BindingError) as info:
        decode("timerTrigger", pb.TypedData(json="{not json"), pytype=func.TimerRequest, name="mytimer")
    message = str(info.value)
    assert message.startswith("cannot decode the input of binding 'mytimer' (timerTrigger): ")
    assert "not valid JSON" in message
    assert info.value.message == message


def test_invalid_json_for_cosmos_input():
    with pytest.raises(BindingError, match=r"'docs' \(cosmosDB\).*not valid JSON"):
        decode("cosmosDB", pb.TypedData(string="[{"), pytype=func.DocumentList, name="docs")


def test_eventhub_single_event():
    md = {
        "SystemProperties": pb.TypedData(json='{"iothub-connection-device-id": "dev1"}'),
        "EnqueuedTimeUtc": pb.TypedData(json='"2024-01-01T00:00:00Z"'),
        "PartitionKey": pb.TypedData(string="pk"),
        "SequenceNumber": pb.TypedData(int=17),
        "Offset": pb.TypedData(string="100"),
    }
    event = decode("eventHubTrigger", pb.TypedData(string="payload"), md, func.EventHubEvent)
    assert isinstance(event, func.EventHubEvent)
    assert event.get_body() == b"payload"
    assert event.partition_key == "pk" and event.sequence_number == 17 and event.offset == "100"
    assert event.enqueued_time == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert event.iothub_metadata == {"connection-device-id": "dev1"}


def test_eventhub_batch_from_collection_string():
    props = [
        {"EnqueuedTimeUtc": "2024-01-01T00:00:00Z", "PartitionKey": "a", "SequenceNumber": 1, "Offset": 10},
        {"EnqueuedTimeUtc": "2024-01-01T00:00:01Z", "PartitionKey": "b", "SequenceNumber": 2, "Offset": 20},
    ]
    md = {"SystemPropertiesArray": pb.TypedData(json=json.dumps(props))}
    td = pb.TypedData(collection_string=pb.CollectionString(string=["e1", "e2"]))
    events = decode("eventHubTrigger", td, md, List[func.EventHubEvent])
    assert [e.get_body() for e in events] == [b"e1", b"e2"]
    assert [e.partition_key for e in events] == ["a", "b"]
    assert [e.sequence_number for e in events] == [1, 2]


def test_eventhub_trigger_without_cardinality_metadata_is_reported():
    with pytest.raises(BindingError, match="'ev' .*the host sent string data"):
        decode("eventHubTrigger", pb.TypedData(string="x"), {}, func.EventHubEvent, name="ev")


def test_servicebus_single_message_with_user_properties():
    md = {
        "UserProperties": pb.TypedData(json='{"color": "red"}'),
        "MessageId": pb.TypedData(string="id-1"),
        "ContentType": pb.TypedData(string="text/plain"),
        "DeliveryCount": pb.TypedData(int=3),
        "EnqueuedTimeUtc": pb.TypedData(json='"2024-02-03T04:05:06Z"'),
        "SequenceNumber": pb.TypedData(int=99),
    }
    msg = decode("serviceBusTrigger", pb.TypedData(bytes=b"body"), md, func.ServiceBusMessage)
    assert isinstance(msg, func.ServiceBusMessage)
    assert msg.get_body() == b"body"
    assert msg.message_id == "id-1" and msg.content_type == "text/plain"
    assert msg.delivery_count == 3 and msg.sequence_number == 99
    assert msg.user_properties == {"color": "red"}
    assert msg.enqueued_time_utc == datetime.datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_servicebus_message_without_payload_has_empty_body():
    msg = decode(
        "serviceBusTrigger", pb.TypedData(), {"UserProperties": pb.TypedData(json="{}")}, func.ServiceBusMessage
    )
    assert msg.get_body() == b""


def test_eventgrid_event():
    body = {
        "id": "e1",
        "topic": "/t",
        "subject": "s",
        "eventType": "Created",
        "eventTime": "2024-03-04T05:06:07Z",
        "data": {"k": 1},
        "dataVersion": "1",
    }
    event = decode("eventGridTrigger", pb.TypedData(json=json.dumps(body)), pytype=func.EventGridEvent)
    assert isinstance(event, func.EventGridEvent)
    assert (event.id, event.topic, event.subject, event.event_type, event.data_version) == (
        "e1",
        "/t",
        "s",
        "Created",
        "1",
    )
    assert event.get_json() == {"k": 1}
    assert event.event_time == datetime.datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_cosmosdb_document_list_single_object_becomes_one_item():
    docs = decode("cosmosDBTrigger", pb.TypedData(json='[{"id": "1"}, {"id": "2"}]'), pytype=func.DocumentList)
    assert isinstance(docs, func.DocumentList) and [d["id"] for d in docs] == ["1", "2"]
    one = decode("cosmosDB", pb.TypedData(string='{"id": "x"}'), pytype=func.DocumentList)
    assert len(one) == 1 and one[0]["id"] == "x"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_activity_trigger_parses_json_and_keeps_plain_text():
    assert decode("activityTrigger", pb.TypedData(json='{"a": 1}')) == {"a": 1}
    assert decode("activityTrigger", pb.TypedData(string="plain words")) == "plain words"


# ------------------------------------------------------------------ decode: generic


@pytest.mark.parametrize(
    "td, value",
    [
        (pb.TypedData(string="s"), "s"),
        (pb.TypedData(bytes=b"b"), b"b"),
        (pb.TypedData(stream=b"st"), b"st"),
        (pb.TypedData(json='{"a": 1}'), '{"a": 1}'),  # raw JSON text, not parsed
        (pb.TypedData(int=4), 4),
        (pb.TypedData(double=0.25), 0.25),
        (pb.TypedData(), None),
        (pb.TypedData(collection_string=pb.CollectionString(string=["a", "b"])), ["a", "b"]),
        (pb.TypedData(collection_bytes=pb.CollectionBytes(bytes=[b"a"])), [b"a"]),
        (pb.TypedData(collection_sint64=pb.CollectionSInt64(sint64=[1, 2])), [1, 2]),
        (pb.TypedData(collection_double=pb.CollectionDouble(double=[1.5])), [1.5]),
    ],
)
def test_generic_decode_of_every_kind(td, value):
    assert decode("myCustomBinding", td) == value


@pytest.mark.parametrize(
    "td",
    [
        pb.TypedData(http=pb.RpcHttp(method="GET")),
        pb.TypedData(model_binding_data=pb.ModelBindingData(source="s")),
    ],
)
def test_generic_decode_rejects_structured_data_naming_the_binding(td):
    with pytest.raises(BindingError, match=r"'thing' \(custom\): unexpected type of data"):
        decode("custom", td, name="thing")


def test_generic_gets_no_trigger_metadata():
    assert GenericConverter.has_trigger_support() is False
    assert decode("customTrigger", pb.TypedData(string="v"), {"k": pb.TypedData(string="m")}) == "v"


# ------------------------------------------------------------------ decode: converter contract


class RecordingConverter:
    """A small real converter that records what it was given."""

    seen: dict = {}

    @classmethod
    def has_trigger_support(cls) -> bool:
        return cls.trigger

    trigger = False

    @classmethod
    def decode(cls, data, *, trigger_metadata):
        cls.seen = {"data": data, "trigger_metadata": trigger_metadata}
        return "decoded"


class RecordingTrigger(RecordingConverter):
    trigger = True


class PytypeConverter:
    @classmethod
    def has_trigger_support(cls) -> bool:
        return True

    @classmethod
    def decode(cls, data, *, trigger_metadata, pytype):
        return (data.value, dict(trigger_metadata), pytype)


def test_trigger_metadata_only_reaches_trigger_converters():
    md = {"Id": Datum("1", "string")}
    decode_input(spec("x"), RecordingConverter, Datum("v", "string"), md, None)
    assert RecordingConverter.seen["trigger_metadata"] == {}
    decode_input(spec("x"), RecordingTrigger, Datum("v", "string"), md, None)
    assert RecordingTrigger.seen["trigger_metadata"] == md


def test_pytype_is_passed_to_converters_that_take_it():
    md = {"k": Datum("m", "string")}
    assert decode_input(spec("x"), PytypeConverter, Datum("v", "string"), md, bytes) == ("v", md, bytes)
    # and not to those that do not (would be a TypeError otherwise)
    assert decode_input(spec("x"), RecordingConverter, Datum("v", "string"), md, bytes) == "decoded"


# ------------------------------------------------------------------ encode: library outputs


def test_none_returned_goes_to_the_converter_as_on_the_platform():
    # the official worker hands a $return None to the converter: generic and Event Hubs send no
    # value, the others refuse it and the invocation fails (protocol §8.4)
    for type_ in ("custom", "eventHub"):
        assert encode(type_, None) is None
    for type_ in ("queue", "blob", "serviceBus", "cosmosDB"):
        with pytest.raises(BindingError, match="returned None, and this binding does not take None"):
            encode(type_, None)
    with pytest.raises(BindingError, match="not None"):
        encode("http", None)


def test_queue_output_str_bytes_and_list():
    assert encode("queue", "m") == pb.TypedData(string="m")
    assert encode("queue", b"m") == pb.TypedData(bytes=b"m")
    td = encoded("queue", ["a", "b"], List[str])
    assert json.loads(td.json) == ["a", "b"]


def test_queue_output_of_queue_messages_is_json():
    td = encoded("queue", func.QueueMessage(id="1", body="hi"), func.QueueMessage)
    assert json.loads(td.json) == {"id": "1", "body": "hi"}
    td = encoded("queue", [func.QueueMessage(body="x"), "y"], List[func.QueueMessage])
    assert json.loads(td.json) == [{"id": None, "body": "x"}, "y"]


def test_queue_output_of_unsupported_type_lists_what_is_accepted():
    with pytest.raises(BindingError) as info:
        encode("queue", 42, name="msg")
    message = str(info.value)
    assert message.startswith(
        "cannot encode the value returned for binding 'msg' (queue): Python type int is not supported"
    )
    assert "func.QueueMessage" in message


def test_queue_output_list_with_bad_item():
    with pytest.raises(BindingError, match=r"'msg' \(queue\): Python type list"):
        encode("queue", ["ok", 3], name="msg")


def test_blob_output_file_like_and_bytes():
    import io

    assert encode("blob", io.BytesIO(b"data")) == pb.TypedData(bytes=b"data")
    assert encode("blob", bytearray(b"ba")) == pb.TypedData(bytes=b"ba")
    assert encode("blob", "text") == pb.TypedData(string="text")


def test_servicebus_output():
    assert encode("serviceBus", "m") == pb.TypedData(string="m")
    with pytest.raises(BindingError, match="str or bytes"):
        encode("serviceBus", {"a": 1}, name="sb")


def test_eventhub_output_list_is_json_and_unknown_is_no_value():
    assert json.loads(encoded("eventHub", ["a", "b"]).json) == ["a", "b"]
    assert encode("eventHub", 3) == pb.TypedData(int=3)
    assert encode("eventHub", {"not": "supported"}) is None  # the library drops it


def test_cosmos_output_documents():
    td = encoded("cosmosDB", func.Document.from_dict({"id": "1"}), func.Document)
    assert json.loads(td.json) == [{"id": "1"}]


def test_eventgrid_output_event():
    event = func.EventGridOutputEvent(
        id="1", data={"x": 1}, subject="s", event_type="t", event_time=datetime.datetime(2024, 1, 1), data_version="1"
    )
    td = encoded("eventGrid", event)
    assert json.loads(td.json)["eventType"] == "t"


def test_activity_output_is_json():
    assert json.loads(encoded("activityTrigger", {"r": [1]}).json) == {"r": [1]}


def test_orchestration_output_passes_json_text_through():
    assert encode("orchestrationTrigger", '{"done": true}') == pb.TypedData(json='{"done": true}')


def test_converter_datum_the_wire_cannot_carry_is_a_binding_error():
    # durableClient's converter encodes a dict as Datum(type='dict'), which TypedData cannot carry
    with pytest.raises(BindingError, match=r"'client' \(durableClient\): Python type dict"):
        encode("durableClient", {"a": 1}, name="client")


def test_input_only_converter_cannot_encode():
    with pytest.raises(BindingError, match="cannot be used for output"):
        encode_output(spec("httpTrigger", "r", "out"), converter_for("httpTrigger"), "x", None)


# ------------------------------------------------------------------ encode: http


def test_http_output_response_and_str():
    td = encoded("http", func.HttpResponse("ok", status_code=202), func.HttpResponse)
    assert td.http.status_code == "202" and td.http.body.bytes == b"ok"
    assert encode("http", "plain", str) == pb.TypedData(string="plain")


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], b"\x00", bytearray(b"x"), 3, 2.5, True])
def test_http_output_refuses_what_the_library_refuses(value):
    with pytest.raises(NotImplementedError):
        HttpResponseConverter.encode(value, expected_type=None)
    with pytest.raises(BindingError, match=r"accepts only func.HttpResponse or str"):
        encode("http", value)


def test_http_output_unserialisable_value():
    with pytest.raises(BindingError) as info:
        encode("http", {1, 2}, name="$return")
    message = str(info.value)
    assert "'$return' (http)" in message and "set" in message
    assert "return func.HttpResponse(" in message


def test_http_output_with_bad_cookie_is_a_binding_error():
    resp = func.HttpResponse(headers={"Set-Cookie": "a=1; Max-Age=soon"})
    with pytest.raises(BindingError, match=r"'\$return' \(http\).*max-age"):
        encode("http", resp, name="$return")


# ------------------------------------------------------------------ encode: generic


@pytest.mark.parametrize(
    "value, expected",
    [
        ("s", pb.TypedData(string="s")),
        (b"b", pb.TypedData(bytes=b"b")),
        (bytearray(b"ba"), pb.TypedData(bytes=b"ba")),
        ({"a": [1]}, pb.TypedData(json='{"a": [1]}')),
        ([1, "x"], pb.TypedData(json='[1, "x"]')),
        (True, pb.TypedData(int=1)),
        (7, pb.TypedData(int=7)),
        (2.5, pb.TypedData(double=2.5)),
    ],
)
def test_generic_encode_of_every_kind(value, expected):
    assert encode("custom", value) == expected


@pytest.mark.parametrize("value", [object(), (1, 2), {1, 2}, {"a": object()}, 2**70])
def test_generic_encode_rejects_other_values(value):
    with pytest.raises(BindingError) as info:
        encode("custom", value, name="res")
    assert f"Python type {type(value).__name__}" in str(info.value)
    assert "'res' (custom)" in str(info.value)


def test_generic_output_for_str_annotated_queue_output():
    binding = spec("queue", "q", "out")
    conv = choose_converter(binding, str)
    assert conv is GenericConverter
    assert encode_output(binding, conv, "m", str) == pb.TypedData(string="m")


# ------------------------------------------------------------------ properties


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
        lambda children: (
            st.lists(children) | st.dictionaries(st.text(), children) | st.tuples(children) | st.sets(st.integers())
        ),
        max_leaves=10,
    )
)
def test_property_generic_encode_returns_typed_data_or_binding_error(value):
    try:
        result = encode("custom", value)
    except BindingError:
        return
    assert result is None or isinstance(result, pb.TypedData)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=10,
    )
)
def test_property_http_output_returns_typed_data_or_binding_error(value):
    try:
        result = encode("http", value)
    except BindingError:
        return
    assert result is None or result.WhichOneof("data") in ("http", "string")


typed = st.one_of(
    st.text().map(lambda s: pb.TypedData(string=s)),
    st.text().map(lambda s: pb.TypedData(json=s)),
    st.binary().map(lambda b: pb.TypedData(bytes=b)),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: pb.TypedData(int=i)),
    st.floats().map(lambda f: pb.TypedData(double=f)),
    st.lists(st.text()).map(lambda v: pb.TypedData(collection_string=pb.CollectionString(string=v))),
    st.just(pb.TypedData()),
)


@given(typed, st.sampled_from(["custom", "blob", "cosmosDB", "eventHub", "activityTrigger", "durableClient"]))
def test_property_inputs_decode_or_raise_binding_error(td, type_):
    try:
        decode(type_, td)
    except BindingError:
        pass
