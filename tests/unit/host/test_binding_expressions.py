"""Binding expressions resolved from one invocation's binding data."""

from __future__ import annotations

import json
import re

import pytest

from quickfunc.host.binding_expressions import ExpressionError, binding_data, resolve
from quickfunc.protos import pb


def _http_data(body: bytes = b"", query: dict | None = None, route: dict | None = None) -> dict:
    metadata = {k: pb.TypedData(string=v) for k, v in (route or {}).items()}
    metadata["Query"] = pb.TypedData(json=json.dumps(query or {}))
    metadata["Headers"] = pb.TypedData(json=json.dumps({"x-id": "h1"}))
    return binding_data(pb.TypedData(), body, metadata)


def test_body_then_query_then_route_later_ones_win_and_code_is_left_out():
    data = _http_data(
        b'{"id": "body", "item": "book", "order": {"n": 3}}', {"id": "query", "code": "k"}, {"Id": "route"}
    )
    assert resolve("c/{id}/{ITEM}/{order.n}/{Query.id}/{Headers.x-id}", data, {}) == "c/route/book/3/query/h1"
    with pytest.raises(ExpressionError) as caught:
        resolve("c/{code}", data, {})
    assert caught.value.name == "code" and "no value for {code}" in caught.value.describe()


def test_a_json_message_gives_its_properties():
    data = binding_data(pb.TypedData(string='{"item": "pen"}'), None, {"QueueTrigger": pb.TypedData(string="x")})
    assert resolve("{item}-{queueTrigger}", data, {}) == "pen-x"


def test_a_queue_message_property_wins_over_the_built_in_metadata_of_the_same_name():
    message = pb.TypedData(string='{"id": "order-7", "Item": "pen"}')
    metadata = {"Id": pb.TypedData(string="3f2c-message-id"), "DequeueCount": pb.TypedData(json="1")}
    queued = binding_data(message, None, metadata, message_wins=True)
    assert resolve("{id}/{item}/{dequeueCount}", queued, {}) == "order-7/pen/1"
    # an HTTP body does not override the route values and other trigger metadata
    http = binding_data(None, b'{"id": "body"}', {"id": pb.TypedData(string="route")})
    assert resolve("{id}", http, {}) == "route"


def test_app_settings_first_and_a_missing_one_is_named():
    assert re.fullmatch(r"box/[0-9a-f]{32}", resolve("%BOX%/{rand-guid:N}", {}, {"BOX": "box"}))
    with pytest.raises(ExpressionError) as caught:
        resolve("%NOPE%/a", {}, {})
    assert caught.value.describe() == "the app setting 'NOPE' (in %NOPE%) is not set"


def test_datetime_default_and_formatted():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", resolve("{DateTime}", {}, {}))
    assert re.fullmatch(r"\d{4}/\d\d/\d\d", resolve("{DateTime:yyyy/MM/dd}", {}, {}))
