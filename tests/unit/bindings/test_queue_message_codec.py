"""The queue trigger's decoder gives exactly what the library's QueueMessageInConverter gives:
the same body, id, dequeue count, pop receipt and timestamps (seven fractional digits, 'Z',
offsets, the host's own format), and the same errors."""

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessageInConverter

from quickfunc.bindings import queue_message
from quickfunc.bindings.codecs import input_decoder
from quickfunc.bindings.convert import BindingError, BindingSpec, decode_input
from quickfunc.bindings.datum import to_datum, trigger_metadata_datums
from quickfunc.protos import pb

TRIGGER = BindingSpec(name="msg", type="queueTrigger", direction="in")
STAMPS = [
    "2026-12-02T03:31:09+00:00",  # what the local host sends
    "2026-12-02T03:31:09.1234567Z",  # seven fractional digits, as .NET writes them
    "2026-12-02T03:31:09.1234567+00:00",
    "2026-12-02T03:31:09.123456Z",
    "2026-12-02T03:31:09Z",
    "2026-12-02T03:31:09.5-00:00",
    "12/02/2026 03:31:09Z",
    "2026-12-02T03:31:09",  # no zone: local
    "2026-12-02T03:31:09.1234567",
    "2026-12-02T05:31:09+02:00",  # an offset the library does not know as UTC
]


def _metadata(stamp: str, **extra: pb.TypedData) -> dict:
    md = {
        "Id": pb.TypedData(string="5b0a1c-id"),
        "PopReceipt": pb.TypedData(string="AgAAAAMAAAAAAAAA"),
        "DequeueCount": pb.TypedData(json="3"),
        "InsertionTime": pb.TypedData(string=stamp),
        "ExpirationTime": pb.TypedData(string=stamp),
        "NextVisibleTime": pb.TypedData(string=stamp),
        **extra,
    }
    return trigger_metadata_datums(md)


def _library(data: pb.TypedData, metadata: dict):
    return decode_input(TRIGGER, QueueMessageInConverter, to_datum(data), metadata, func.QueueMessage)


def _fields(message: func.QueueMessage) -> tuple:
    return (
        type(message),
        message.id,
        message.get_body(),
        message.dequeue_count,
        message.pop_receipt,
        message.insertion_time,
        message.expiration_time,
        message.time_next_visible,
    )


def _outcome(call, data, metadata):
    try:
        return ("ok", _fields(call(data, metadata)))
    except BindingError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("stamp", STAMPS)
@pytest.mark.parametrize("data", [pb.TypedData(string="héllo"), pb.TypedData(bytes=b"\x00\xffraw")])
def test_queue_messages_decode_like_the_library(stamp, data):
    decode, wants_metadata = input_decoder(TRIGGER, QueueMessageInConverter, func.QueueMessage)
    assert wants_metadata is True
    metadata = _metadata(stamp)
    for _ in range(2):  # the second time from what it remembered
        assert _outcome(decode, data, metadata) == _outcome(_library, data, metadata)


def test_missing_or_odd_metadata_and_data_match_the_library_too():
    decode, _ = input_decoder(TRIGGER, QueueMessageInConverter, func.QueueMessage)
    cases = [
        (pb.TypedData(string="x"), {}),
        (pb.TypedData(string="x"), _metadata("not a time")),
        (pb.TypedData(string="x"), _metadata(STAMPS[0], DequeueCount=pb.TypedData(json='"three"'))),
        (pb.TypedData(json='{"a": 1}'), _metadata(STAMPS[0])),
        (pb.TypedData(int=4), _metadata(STAMPS[0])),
    ]
    for data, metadata in cases:
        assert _outcome(decode, data, metadata) == _outcome(_library, data, metadata), data


def test_the_decoder_parses_each_distinct_timestamp_once(monkeypatch):
    seen: list[str] = []
    real = QueueMessageInConverter._parse_datetime

    def counting(cls, text):
        seen.append(text)
        return real(text)

    monkeypatch.setattr(QueueMessageInConverter, "_parse_datetime", classmethod(counting))
    decode = queue_message.queue_message_decoder(QueueMessageInConverter, lambda data, md: None)
    for i in range(50):
        message = decode(pb.TypedData(string=f"m{i}"), _metadata(STAMPS[1]))
        assert message.get_body() == f"m{i}".encode()
    assert seen == [STAMPS[1]]
