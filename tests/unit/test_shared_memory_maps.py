"""The shared-memory map format on both sides (protocol §14): the worker's maps module and the
host's writer/reader agree on header and content, and refuse bad headers, names and sizes."""

from __future__ import annotations

import os
import struct

import pytest

from quickfunc.host import shared_memory as host_maps
from quickfunc.protos import pb
from quickfunc.shared_memory import maps
from quickfunc.shared_memory.transfer import InputError, WorkerMaps

MIB = 1024 * 1024


@pytest.fixture
def folder(tmp_path):
    return maps.usable_dirs([str(tmp_path)])[0]


def test_the_folder_is_the_base_plus_AzureFunctions(tmp_path):
    assert maps.usable_dirs([str(tmp_path / "missing"), str(tmp_path)]) == [
        str(tmp_path / "missing" / "AzureFunctions"),
        str(tmp_path / "AzureFunctions"),
    ]
    assert maps.usable_dirs(["/proc/no-such-place"]) == []


def test_layout_flag_then_int64_le_length_then_content(folder):
    path = maps.create([folder], "m1", b"hello")
    with open(path, "rb") as f:
        raw = f.read()
    assert raw == b"\x01" + struct.pack("<q", 5) + b"hello"
    assert os.path.getsize(path) == 9 + 5


def test_worker_and_host_read_each_others_maps(folder):
    maps.create([folder], "from-worker", b"w" * 100)
    assert host_maps.read_map(folder, "from-worker", 0, 100) == b"w" * 100
    host_maps.write_map(folder, "from-host", b"h" * 50)
    assert maps.read([folder], "from-host", 0, 50) == b"h" * 50
    assert maps.read([folder], "from-host", 0, 10) == b"h" * 10  # count below the length is fine


@pytest.mark.parametrize(
    "header, problem",
    [
        (b"\x00" + struct.pack("<q", 4), "not initialised"),
        (b"\x01" + struct.pack("<q", 2), "fewer than the 4 announced"),
        (b"\x01\x04", "too small for its header"),
    ],
)
def test_bad_headers_are_refused_with_the_map_named(folder, header, problem):
    with open(os.path.join(folder, "bad"), "wb") as f:
        f.write(header + b"abcd"[: 4 if len(header) == 9 else 0])
    with pytest.raises(maps.MapError, match=problem) as info:
        maps.read([folder], "bad", 0, 4)
    assert "bad" in str(info.value)
    with pytest.raises(host_maps.MapError, match="bad"):
        host_maps.read_map(folder, "bad", 0, 4)


def test_truncated_content_is_refused(folder):
    with open(os.path.join(folder, "short"), "wb") as f:
        f.write(b"\x01" + struct.pack("<q", 10) + b"abc")
    with pytest.raises(maps.MapError, match="after 3 of 10"):
        maps.read([folder], "short", 0, 10)
    with pytest.raises(host_maps.MapError, match="shorter than the 10 bytes"):
        host_maps.read_map(folder, "short", 0, 10)


def test_a_header_announcing_more_than_the_file_holds_allocates_nothing(folder):
    with open(os.path.join(folder, "liar"), "wb") as f:
        f.write(b"\x01" + struct.pack("<q", 1 << 40) + b"abc")
    with pytest.raises(maps.MapError, match="after 3 of"):
        maps.read([folder], "liar", 0, 1 << 40)


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".", "..", "x\0y"])
def test_names_that_are_not_plain_file_names_are_refused(folder, name):
    with pytest.raises(maps.MapError, match="not a valid"):
        maps.create([folder], name, b"x")
    with pytest.raises(maps.MapError):
        maps.read([folder], name, 0, 1)
    with pytest.raises(host_maps.MapError):
        host_maps.write_map(folder, name, b"x")


def test_missing_map_nonzero_offset_and_existing_name(folder):
    with pytest.raises(maps.MapError, match="not found"):
        maps.read([folder], "nope", 0, 1)
    maps.create([folder], "one", b"x")
    with pytest.raises(maps.MapError, match="offset 3"):
        maps.read([folder], "one", 3, 1)
    with pytest.raises(maps.MapError, match="already exists"):
        maps.create([folder], "one", b"y")
    assert maps.delete([folder], "one") and not maps.delete([folder], "one")


def test_size_limits_match_the_host():
    assert not maps.eligible_size(MIB - 1, text=False) and maps.eligible_size(MIB, text=False)
    assert maps.eligible_size(2 * 1024 * MIB, text=False) and not maps.eligible_size(2 * 1024 * MIB + 1, text=False)
    assert maps.eligible_size(MIB // 2, text=True) and not maps.eligible_size(MIB // 2 - 1, text=True)
    assert host_maps.eligible(pb.TypedData(bytes=b"x" * (MIB - 1))) is None
    assert host_maps.eligible(pb.TypedData(bytes=b"x" * MIB)) is not None
    text = host_maps.eligible(pb.TypedData(string="é" * (MIB // 2)))
    assert text is not None and text[0] == "é".encode() * (MIB // 2)
    assert host_maps.eligible(pb.TypedData(json="x" * 2 * MIB)) is None


def _outputs(*values: pb.TypedData) -> list[pb.ParameterBinding]:
    return [pb.ParameterBinding(name=f"o{i}", data=v) for i, v in enumerate(values)]


def test_worker_moves_only_eligible_outputs_and_closes_what_it_made(tmp_path):
    worker = WorkerMaps(True, [str(tmp_path)], function_data_cache=False)
    big, text = os.urandom(MIB), "t" * (MIB // 2)
    outputs = _outputs(
        pb.TypedData(bytes=big), pb.TypedData(string=text), pb.TypedData(bytes=b"small"), pb.TypedData(json="{}")
    )
    worker.move_outputs(outputs)
    kinds = [o.WhichOneof("rpc_data") for o in outputs]
    assert kinds == ["rpc_shared_memory", "rpc_shared_memory", "data", "data"]
    first, second = outputs[0].rpc_shared_memory, outputs[1].rpc_shared_memory
    assert (first.offset, first.count, first.type) == (0, MIB, pb.RpcDataType.Value("bytes"))
    assert second.type == pb.RpcDataType.Value("string") and second.count == len(text)
    folder = str(tmp_path / "AzureFunctions")
    assert host_maps.read_map(folder, first.name, 0, MIB) == big
    assert sorted(os.listdir(folder)) == sorted([first.name, second.name])
    assert worker.close([first.name, second.name, "stranger"]) == {
        first.name: True,
        second.name: True,
        "stranger": False,
    }
    assert os.listdir(folder) == []


def _passthrough(value, target: pb.TypedData) -> bool:
    if isinstance(value, bytes):
        target.bytes = value
    elif isinstance(value, str):
        target.string = value
    else:
        raise TypeError(f"unsupported type {type(value).__name__}")
    return True


def test_direct_writes_take_the_functions_own_value(tmp_path):
    worker = WorkerMaps(True, [str(tmp_path)], function_data_cache=False)
    content, text = os.urandom(MIB), "ü" * MIB
    outputs = _outputs(pb.TypedData(), pb.TypedData())
    assert worker.put_direct(_passthrough, content, outputs[0]) and worker.put_direct(_passthrough, text, outputs[1])
    folder = str(tmp_path / "AzureFunctions")
    first, second = outputs[0].rpc_shared_memory, outputs[1].rpc_shared_memory
    assert host_maps.read_map(folder, first.name, 0, first.count) == content
    assert (
        second.count == len(text.encode()) and host_maps.read_map(folder, second.name, 0, second.count) == text.encode()
    )


def test_direct_writes_leave_small_other_typed_refused_or_converted_values_to_the_codec(tmp_path):
    worker = WorkerMaps(True, [str(tmp_path)], function_data_cache=False)
    big = b"x" * MIB

    def refuses(value, target):
        raise TypeError("no bytes here")

    def to_json(value, target):
        target.json = "[]"
        return True

    binding = pb.ParameterBinding(name="o")
    assert not worker.put_direct(_passthrough, b"small", binding)
    assert not worker.put_direct(_passthrough, bytearray(big), binding)
    assert not worker.put_direct(refuses, big, binding)
    assert not worker.put_direct(to_json, big, binding)
    assert binding.WhichOneof("rpc_data") is None and worker.created == []


def test_with_the_hosts_data_cache_any_size_goes_and_files_are_kept(tmp_path):
    worker = WorkerMaps(True, [str(tmp_path)], function_data_cache=True)
    outputs = _outputs(pb.TypedData(bytes=b"small"))
    worker.move_outputs(outputs)
    name = outputs[0].rpc_shared_memory.name
    assert worker.close([name]) == {name: True}
    assert os.listdir(tmp_path / "AzureFunctions") == [name]


def test_no_usable_directory_keeps_outputs_inline():
    worker = WorkerMaps(True, ["/proc/no-such-place"], function_data_cache=False)
    outputs = _outputs(pb.TypedData(bytes=b"x" * MIB))
    worker.move_outputs(outputs)
    assert outputs[0].WhichOneof("rpc_data") == "data" and len(outputs[0].data.bytes) == MIB


def test_worker_reads_inputs_as_bytes_or_text_and_refuses_other_types(tmp_path):
    worker = WorkerMaps(False, [str(tmp_path)], function_data_cache=False)
    folder = worker.dirs[0]
    host_maps.write_map(folder, "in", "héllo".encode())
    shared = pb.RpcSharedMemory(name="in", offset=0, count=6, type=pb.RpcDataType.Value("bytes"))
    value = worker.read_input(shared)
    assert (value.WhichOneof("data"), value.bytes) == ("bytes", "héllo".encode())
    shared.type = pb.RpcDataType.Value("string")
    value = worker.read_input(shared)
    assert (value.WhichOneof("data"), value.string) == ("string", "héllo")
    shared.type = pb.RpcDataType.Value("json")
    with pytest.raises(InputError, match="type json"):
        worker.read_input(shared)
    shared.type, shared.count = pb.RpcDataType.Value("string"), 2  # cuts "é" in half
    with pytest.raises(InputError, match="not valid UTF-8"):
        worker.read_input(shared)
