"""Reading v1 function.json folders into load-request metadata, as the host does."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from quickfunc.host.function_json import FunctionJsonError, discover_v1_functions, v1_metadata_from_folder
from quickfunc.protos import pb
from tests.helpers import IN, INOUT, OUT


def make(tmp_path, name: str, config) -> str:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    text = config if isinstance(config, str) else json.dumps(config)
    (folder / "function.json").write_text(text)
    return str(folder)


def test_metadata_fields_follow_the_host(tmp_path):
    folder = make(
        tmp_path,
        "QueueFunc",
        {
            "scriptFile": "main.py",
            "entryPoint": "run",
            "bindings": [
                {"type": "queueTrigger", "direction": "in", "name": "msg", "dataType": "binary"},
                {"type": "blob", "direction": "inout", "name": "doc", "dataType": "Stream"},
                {"type": "queue", "direction": "out", "name": "$return", "dataType": "string"},
            ],
        },
    )
    md = v1_metadata_from_folder(folder)
    assert md.name == "QueueFunc"
    assert md.directory == folder
    assert md.script_file == os.path.join(folder, "main.py")
    assert md.entry_point == "run"
    assert md.language == "python" and not md.is_proxy
    msg, doc, ret = md.bindings["msg"], md.bindings["doc"], md.bindings["$return"]
    assert (msg.type, msg.direction, msg.data_type) == ("queueTrigger", IN, pb.BindingInfo.binary)
    assert (doc.direction, doc.data_type) == (INOUT, pb.BindingInfo.stream)
    assert (ret.direction, ret.data_type) == (OUT, pb.BindingInfo.string)
    assert len(md.raw_bindings) == 0


def test_defaults_script_to_init_py_and_entry_point_to_empty(tmp_path):
    folder = make(tmp_path, "HttpFunc", {"bindings": [{"type": "httpTrigger", "direction": "in", "name": "req"}]})
    md = v1_metadata_from_folder(folder)
    assert md.script_file == os.path.join(folder, "__init__.py")
    assert md.entry_point == ""
    assert md.bindings["req"].data_type == pb.BindingInfo.undefined


def test_relative_script_file_is_resolved_against_the_function_folder(tmp_path):
    folder = make(tmp_path, "app/Func", {"scriptFile": "../shared/code.py", "bindings": []})
    assert v1_metadata_from_folder(folder).script_file == str(tmp_path / "app/shared/code.py")


def test_binding_keys_are_case_insensitive_and_utf8_bom_is_accepted(tmp_path):
    folder = make(
        tmp_path,
        "F",
        "\ufeff" + json.dumps({"bindings": [{"Type": "timerTrigger", "Direction": "IN", "Name": "timer"}]}),
    )
    assert v1_metadata_from_folder(folder).bindings["timer"].type == "timerTrigger"


@pytest.mark.parametrize(
    "config, key, words",
    [
        ('{"bindings": [}', "", "line 1 column 15"),
        ('{\n  "bindings": [\n    {"name": "x" "type": "t"}\n  ]\n}', "", "line 3 column"),
        ("[]", "", "JSON object"),
        ({"scriptFile": "x.py"}, "bindings", "missing"),
        ({"bindings": {"name": "x"}}, "bindings", "must be a list"),
        ({"bindings": ["req"]}, "bindings[0]", "JSON object"),
        ({"bindings": [{"type": "http", "direction": "in"}]}, "bindings[0].name", "missing"),
        ({"bindings": [{"name": "req", "direction": "in"}]}, "bindings[0].type", "missing"),
        (
            {"bindings": [{"name": "a", "type": "t", "direction": "in"}, {"name": "b", "type": "t"}]},
            "bindings[1].direction",
            "missing",
        ),
        ({"bindings": [{"name": "a", "type": "t", "direction": "sideways"}]}, "bindings[0].direction", "sideways"),
        (
            {"bindings": [{"name": "a", "type": "t", "direction": "in", "dataType": "xml"}]},
            "bindings[0].dataType",
            "xml",
        ),
        (
            {
                "bindings": [
                    {"name": "a", "type": "t", "direction": "in"},
                    {"name": "a", "type": "t", "direction": "out"},
                ]
            },
            "bindings[1].name",
            "duplicate",
        ),
        ({"scriptFile": 3, "bindings": []}, "scriptFile", "string"),
    ],
)
def test_malformed_function_json_names_the_file_and_key(tmp_path, config, key, words):
    folder = make(tmp_path, "Bad", config)
    with pytest.raises(FunctionJsonError) as err:
        v1_metadata_from_folder(folder)
    path = os.path.join(folder, "function.json")
    assert err.value.path == path and err.value.key == key
    assert str(err.value).startswith(path)
    assert words in str(err.value)
    if key:
        assert repr(key) in str(err.value)


def test_missing_function_json_is_a_clear_error(tmp_path):
    (tmp_path / "Empty").mkdir()
    with pytest.raises(FunctionJsonError, match="cannot read"):
        v1_metadata_from_folder(str(tmp_path / "Empty"))


def test_discover_finds_function_folders_with_fresh_ids(tmp_path):
    for name in ("B", "A"):
        make(tmp_path, name, {"bindings": []})
    (tmp_path / "shared_code").mkdir()
    (tmp_path / "host.json").write_text("{}")
    found = discover_v1_functions(str(tmp_path))
    assert [md.name for _, md in found] == ["A", "B"]
    for function_id, md in found:
        assert uuid.UUID(function_id).version == 4
        assert md.properties["FunctionId"] == function_id
    assert found[0][0] != found[1][0]
