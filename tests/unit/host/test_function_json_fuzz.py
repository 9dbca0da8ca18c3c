"""function.json, fuzzed: any content gives load metadata or a FunctionJsonError naming the file
(and the key, when one is at fault) — never another exception."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickfunc.host.function_json import FunctionJsonError, v1_metadata_from_folder

_KEYS = st.one_of(
    st.sampled_from(
        [
            "bindings",
            "scriptFile",
            "entryPoint",
            "name",
            "type",
            "direction",
            "dataType",
            "Name",
            "TYPE",
            "Direction",
            "disabled",
            "excluded",
            "",
        ]
    ),
    st.text(max_size=12),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "in",
            "out",
            "inout",
            "IN",
            "sideways",
            "string",
            "binary",
            "stream",
            "httpTrigger",
            "http",
            "$return",
            "../x.py",
            "/etc/passwd",
            "main.py",
            "",
        ]
    ),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=15,
)
#: documents shaped like function.json, with anything inside
_SHAPED = st.fixed_dictionaries(
    {
        "bindings": st.one_of(
            _JSON, st.lists(st.one_of(_JSON, st.dictionaries(_KEYS, _SCALARS, max_size=5)), max_size=4)
        )
    },
    optional={"scriptFile": _JSON, "entryPoint": _JSON},
)
_CONTENT = st.one_of(
    _SHAPED.map(lambda d: json.dumps(d).encode()),
    _JSON.map(lambda d: json.dumps(d).encode()),
    st.text(max_size=60).map(str.encode),
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"",
            b"\xef\xbb\xbf",
            b"\xff\xfe{}",
            b"{" * 5000,
            b'{"bindings": []}\x00',
            b"\xef\xbb\xbf" + json.dumps({"bindings": []}).encode(),
            json.dumps({"bindings": []}).encode("utf-16"),
        ]
    ),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("app") / "Fuzzed"
    path.mkdir()
    return str(path)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=_CONTENT)
def test_any_function_json_gives_metadata_or_an_error_naming_file_and_key(folder, content):
    path = os.path.join(folder, "function.json")
    with open(path, "wb") as f:
        f.write(content)
    try:
        metadata = v1_metadata_from_folder(folder)
    except FunctionJsonError as err:
        assert err.path == path
        assert str(err).startswith(path)
        if err.key:
            assert repr(err.key) in str(err)
        return
    assert metadata.name == "Fuzzed"
    assert all(b.type for b in metadata.bindings.values())
