"""Queue messages: what an output value holds, messageEncoding both ways, trigger metadata, and
host.json extensions.queues."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone

import pytest

from quickfunc.host.config import HostOptions, load_config
from quickfunc.host.jsonfile import SettingsFileError
from quickfunc.host.queue_messages import (
    MessageError,
    decode_message,
    encode_message,
    output_messages,
    resolve_settings,
    trigger_data,
    trigger_metadata,
)
from quickfunc.host.storage.interface import QueueMessage
from quickfunc.protos import pb


def test_output_values_give_one_message_per_item_and_objects_as_json():
    assert output_messages(pb.TypedData(string="a")) == [b"a"]
    assert output_messages(pb.TypedData(json=json.dumps(["x", {"k": 1}]))) == [b"x", b'{"k": 1}']
    assert output_messages(pb.TypedData(json='{"item": "book"}')) == [b'{"item": "book"}']
    assert output_messages(pb.TypedData(bytes=b"\x00\x01")) == [b"\x00\x01"]
    strings = pb.TypedData(collection_string=pb.CollectionString(string=["p", "q"]))
    assert output_messages(strings) == [b"p", b"q"]


def test_message_encoding_round_trips_and_refuses_what_it_cannot_carry():
    assert encode_message(b"hi", "base64") == base64.b64encode(b"hi")
    assert decode_message(encode_message(b"\xff\x00", "base64"), "base64") == b"\xff\x00"
    assert encode_message(b"hi", "none") == b"hi"
    assert decode_message(b"plain text!", "none") == b"plain text!"
    with pytest.raises(MessageError, match="needs messageEncoding"):
        encode_message(b"\xff", "none")
    with pytest.raises(MessageError, match='set messageEncoding to "none"'):
        decode_message(b"plain text!", "base64")


def test_app_settings_in_names_resolve_and_a_missing_one_is_named():
    assert resolve_settings("%Q%-x", {"Q": "orders"}, "f") == "orders-x"
    with pytest.raises(MessageError, match="f: the app setting 'MISSING'"):
        resolve_settings("%MISSING%", {}, "f")


def test_trigger_input_and_metadata_as_the_host_sends_them():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    message = QueueMessage("id-1", b"ignored", 3, now, None, now, "receipt")
    metadata = trigger_metadata(message, b"hello")
    assert metadata["QueueTrigger"].string == "hello"
    assert metadata["DequeueCount"].json == "3"
    assert metadata["Id"].string == "id-1" and metadata["PopReceipt"].string == "receipt"
    assert metadata["InsertionTime"].string == "2026-01-02T03:04:05+00:00"
    assert "ExpirationTime" not in metadata  # never expires
    assert trigger_data(b"text", "").string == "text"
    assert trigger_data(b"text", "binary").bytes == b"text"
    assert trigger_data(b"\xff", "string").bytes == b"\xff"


def _config(tmp_path, queues):
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {"queues": queues}}))
    return load_config(HostOptions(app_dir=str(tmp_path)), environ={})


def test_host_json_queue_settings_over_the_defaults(tmp_path):
    options = _config(tmp_path, {"batchSize": 4, "maxDequeueCount": 2, "visibilityTimeout": "00:00:03"}).queues
    assert (options.batch_size, options.max_dequeue_count) == (4, 2)
    # newBatchThreshold by default: half a batch for each processor, as the Storage extension has it
    assert options.fetch_threshold == 2 * (os.cpu_count() or 1)
    assert _config(tmp_path, {"batchSize": 4, "newBatchThreshold": 1}).queues.fetch_threshold == 1
    assert options.visibility_timeout == 3.0 and options.max_polling_interval == 60.0
    assert options.message_encoding == "base64"


@pytest.mark.parametrize(
    ("queues", "key"),
    [
        ({"batchSize": 64}, "batchSize"),
        ({"messageEncoding": "utf8"}, "messageEncoding"),
        ({"visibilityTimeout": 5}, "visibilityTimeout"),
    ],
)
def test_a_bad_queue_setting_names_its_key(tmp_path, queues, key):
    with pytest.raises(SettingsFileError, match=f"extensions.queues.{key}"):
        _config(tmp_path, queues)
