"""Hypothesis strategies for bad input: arbitrary TypedData, RpcHttp and trigger metadata.

The values are what a host could put on the wire (protobuf accepts them), not what it usually
does: every TypedData member, invalid UTF-8 and JSON, odd URLs and header names, nullable maps,
and JSON shaped like what the converters look for, with the wrong types inside.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from hypothesis import strategies as st

from quickfunc.protos import pb

FUZZ_APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps", "fuzz_bindings")

#: text protobuf can carry (no lone surrogates)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)

#: names the converters read from trigger metadata and JSON payloads
KNOWN_KEYS = (
    # queue
    "Id",
    "DequeueCount",
    "ExpirationTime",
    "InsertionTime",
    "NextVisibleTime",
    "PopReceipt",
    # blob
    "BlobTrigger",
    "Uri",
    "Properties",
    "Metadata",
    "ContentLength",
    "Length",
    "Name",
    # event hub / iot hub
    "SystemProperties",
    "SystemPropertiesArray",
    "EnqueuedTimeUtc",
    "SequenceNumber",
    "Offset",
    "PartitionKey",
    "iothub-device-id",
    "iothub-enqueuedtime",
    "PartitionContext",
    "EnqueuedTimeUtcArray",
    "SequenceNumberArray",
    "OffsetArray",
    "PartitionKeyArray",
    # service bus
    "UserProperties",
    "UserPropertiesArray",
    "MessageId",
    "ContentType",
    "CorrelationId",
    "DeliveryCount",
    "ExpiresAtUtc",
    "LockedUntil",
    "LockToken",
    "SessionId",
    "ReplyTo",
    "To",
    "Label",
    "Subject",
    "TimeToLive",
    "ApplicationProperties",
    "MessageIdArray",
    "DeadLetterSource",
    "ScheduledEnqueueTimeUtc",
    "State",
    "TransactionPartitionKey",
    # kafka
    "Timestamp",
    "Key",
    "Partition",
    "Topic",
    "Headers",
    "KeyArray",
    "PartitionArray",
    "TopicArray",
    "TimestampArray",
    "HeadersArray",
    # timer
    "IsPastDue",
    "ScheduleStatus",
    "Schedule",
    "Last",
    "Next",
    "LastUpdated",
    "AdjustForDST",
    # event grid / cloud events
    "id",
    "topic",
    "subject",
    "eventType",
    "eventTime",
    "data",
    "dataVersion",
    "specversion",
    "source",
    "type",
    "time",
    "datacontenttype",
    # durable, mcp, sql
    "input",
    "instanceId",
    "name",
    "arguments",
    "sessionId",
    "transport",
    "toolName",
    # http and the rest
    "req",
    "$request",
    "sys",
    "Query",
    "Headers",
    "body",
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), TEXT)

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    TEXT,
    st.sampled_from(["2024-01-02T03:04:05.1234567Z", "01/02/2024 03:04:05", "9999-99-99T99:99:99", "", "-1", "1e400"]),
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=12,
)
BAD_JSON = st.sampled_from(
    [
        "",
        "{",
        "[1,",
        "nul",
        '"unterminated',
        "NaN",
        "1e999999",
        '{"a": 1}x',
        "{'single': 'quotes'}",
        "\ufeff{}",
        "[" * 2000,
    ]
)
JSON_TEXT = st.one_of(JSON_VALUES.map(json.dumps), BAD_JSON, TEXT)

#: bytes, often not UTF-8 (or UTF-8 with a byte-order mark, or JSON-looking)
BYTES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"\xff\xfe\xfd",
            b"\xc3\x28",
            b"\xef\xbb\xbf{}",
            b"\x00" * 8,
            b'{"IsPastDue": "maybe"}',
            b"[1, 2",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--",
        ]
    ),
    JSON_TEXT.map(lambda t: t.encode("utf-8")),
)

_HEADER_NAMES = st.one_of(
    st.sampled_from(
        [
            "content-type",
            "Content-Type",
            "content-length",
            "cookie",
            "accept",
            "authorization",
            "x-forwarded-for",
            "host",
            "",
            " ",
        ]
    ),
    TEXT,
)
_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-16",
        "text/plain; charset=latin-1",
        "text/plain; charset=no-such-charset",
        "multipart/form-data; boundary=x",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "",
        ";;;=",
        "text/*",
    ]
)
_URLS = st.one_of(
    st.sampled_from(
        [
            "http://localhost/api/f?x=1&x=2",
            "",
            "not a url",
            "http://[::1",
            "https://h/%zz?%%=%",
            "http://h:99999/",
            "//no-scheme",
            "http://h/" + "a" * 3000,
        ]
    ),
    TEXT,
)
_METHODS = st.one_of(st.sampled_from(["GET", "POST", "put", "", "OPTIONS", "X-WEIRD"]), TEXT)


def _nullable_map(values: dict[str, str | None], target) -> None:
    for key, value in values.items():
        if value is None:
            target[key].SetInParent()  # present but null
        else:
            target[key].value = value


def scalar_typed_data() -> st.SearchStrategy[pb.TypedData]:
    """Every TypedData member except http."""

    def collection(kind: str, message: type, field: str, items: st.SearchStrategy):
        return st.lists(items, max_size=4).map(lambda values: pb.TypedData(**{kind: message(**{field: values})}))

    model = st.builds(pb.ModelBindingData, version=TEXT, source=TEXT, content_type=TEXT, content=BYTES)
    return st.one_of(
        st.just(pb.TypedData()),
        TEXT.map(lambda v: pb.TypedData(string=v)),
        JSON_TEXT.map(lambda v: pb.TypedData(json=v)),
        BYTES.map(lambda v: pb.TypedData(bytes=v)),
        BYTES.map(lambda v: pb.TypedData(stream=v)),
        st.integers(-(2**63), 2**63 - 1).map(lambda v: pb.TypedData(int=v)),
        st.floats().map(lambda v: pb.TypedData(double=v)),
        collection("collection_bytes", pb.CollectionBytes, "bytes", BYTES),
        collection("collection_string", pb.CollectionString, "string", st.one_of(TEXT, JSON_TEXT)),
        collection("collection_double", pb.CollectionDouble, "double", st.floats()),
        collection("collection_sint64", pb.CollectionSInt64, "sint64", st.integers(-(2**63), 2**63 - 1)),
        model.map(lambda v: pb.TypedData(model_binding_data=v)),
        collection("collection_model_binding_data", pb.CollectionModelBindingData, "model_binding_data", model),
    )


@st.composite
def rpc_http(draw) -> pb.RpcHttp:
    """An HTTP request as a host (or a broken one) could send it."""
    http = pb.RpcHttp(method=draw(_METHODS), url=draw(_URLS))
    headers = draw(st.dictionaries(_HEADER_NAMES, st.one_of(_CONTENT_TYPES, TEXT), max_size=5))
    http.headers.update(headers)
    http.query.update(draw(st.dictionaries(KEYS, TEXT, max_size=4)))
    http.params.update(draw(st.dictionaries(KEYS, TEXT, max_size=3)))
    if draw(st.booleans()):
        _nullable_map(
            draw(st.dictionaries(_HEADER_NAMES, st.none() | _CONTENT_TYPES, max_size=3)), http.nullable_headers
        )
        _nullable_map(draw(st.dictionaries(KEYS, st.none() | TEXT, max_size=3)), http.nullable_query)
        _nullable_map(draw(st.dictionaries(KEYS, st.none() | TEXT, max_size=3)), http.nullable_params)
    body = draw(st.none() | scalar_typed_data())
    if body is not None:
        http.body.CopyFrom(body)
    if draw(st.booleans()):
        http.rawBody.CopyFrom(draw(scalar_typed_data()))
    for _ in range(draw(st.integers(0, 2))):
        identity = http.identities.add()
        if draw(st.booleans()):
            identity.authentication_type.value = draw(TEXT)
        for claim_type, value in draw(st.lists(st.tuples(TEXT, TEXT), max_size=3)):
            identity.claims.add(type=claim_type, value=value)
    for name, value in draw(st.lists(st.tuples(TEXT, TEXT), max_size=2)):
        http.cookies.add(name=name, value=value)
    return http


def typed_data() -> st.SearchStrategy[pb.TypedData]:
    """Any TypedData, http included."""
    return st.one_of(scalar_typed_data(), rpc_http().map(lambda h: pb.TypedData(http=h)))


#: trigger metadata: the keys converters read, with values of any kind
TRIGGER_METADATA = st.dictionaries(
    KEYS, st.one_of(scalar_typed_data(), JSON_VALUES.map(lambda v: pb.TypedData(json=json.dumps(v)))), max_size=5
)


@dataclass(frozen=True)
class Target:
    """One function of the fuzz app: its single input binding."""

    function: str
    binding: str
    type: str


def fuzz_targets() -> list[Target]:
    """The functions of tests/apps/fuzz_bindings, one per binding type and annotation."""
    targets = []
    for name in sorted(os.listdir(FUZZ_APP)):
        path = os.path.join(FUZZ_APP, name, "function.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                (binding,) = json.load(f)["bindings"]
            targets.append(Target(name, binding["name"], binding["type"]))
    return targets


def invocation_problem(response: pb.InvocationResponse, target: Target) -> str | None:
    """None when the answer is acceptable for bad input: a success, or a failure that names the
    binding and says what is wrong; else what is wrong with the answer."""
    status = response.result.status
    if status == pb.StatusResult.Success:
        return None
    if status != pb.StatusResult.Failure:
        return f"status {status}"
    message = response.result.exception.message
    if f"'{target.binding}'" not in message or target.type not in message:
        return f"the failure does not name binding '{target.binding}' ({target.type}): {message}"
    if "internal error" in message.lower():
        return f"an internal error: {message}"
    return None
