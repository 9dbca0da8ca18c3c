"""The host's side of shared-memory transfer: which inputs go to maps, outputs read back in place,
and every map of an invocation removed afterwards, even when the worker cannot close its own."""

from __future__ import annotations

import os

import pytest

from quickfunc.host.shared_memory import CAPABILITY, HostMaps, write_map
from quickfunc.protos import pb
from tests.helpers import run

MIB = 1024 * 1024


class FakeChannel:
    """Answers CloseSharedMemoryResourcesRequest with ``results``, or raises ``error``."""

    def __init__(self, results: dict[str, bool] | None = None, error: Exception | None = None) -> None:
        self.results, self.error = results or {}, error
        self.asked: list[list[str]] = []

    async def close_shared_memory(self, names):
        self.asked.append(list(names))
        if self.error is not None:
            raise self.error
        return pb.CloseSharedMemoryResourcesResponse(close_map_results=self.results)


@pytest.fixture
def host(tmp_path):
    return HostMaps([str(tmp_path)])


def test_without_the_workers_capability_nothing_moves(host):
    inputs = {"inp": pb.TypedData(bytes=b"x" * MIB)}
    assert host.begin({}, inputs) == (None, inputs)


def test_only_large_bytes_and_text_go_to_maps(host):
    inputs = {
        "big": pb.TypedData(bytes=b"b" * MIB),
        "text": pb.TypedData(string="t" * (MIB // 2)),
        "small": pb.TypedData(bytes=b"s"),
        "json": pb.TypedData(json="[" * MIB),
        "http": pb.TypedData(http=pb.RpcHttp(method="GET")),
    }
    maps, inline = host.begin({CAPABILITY: "true"}, inputs)
    assert maps is not None and sorted(inline) == ["http", "json", "small"]
    request = pb.InvocationRequest()
    maps.add_to(request)
    shared = {b.name: b.rpc_shared_memory for b in request.input_data}
    assert sorted(shared) == ["big", "text"]
    assert shared["big"].count == MIB and shared["text"].type == pb.RpcDataType.Value("string")
    assert sorted(os.listdir(host.folder)) == sorted(s.name for s in shared.values())
    run(maps.finish(FakeChannel()))
    assert os.listdir(host.folder) == []


def _response_with_map(host, name: str, content: bytes) -> pb.InvocationResponse:
    write_map(host.folder, name, content)
    shared = pb.RpcSharedMemory(name=name, offset=0, count=len(content), type=pb.RpcDataType.Value("bytes"))
    return pb.InvocationResponse(output_data=[pb.ParameterBinding(name="copy", rpc_shared_memory=shared)])


def test_outputs_are_read_back_and_the_worker_is_asked_to_close_them(host):
    maps, _ = host.begin({CAPABILITY: "true"}, {})
    response = _response_with_map(host, "out-1", b"o" * 100)
    assert maps.take_outputs(response) == ""
    assert response.output_data[0].data.bytes == b"o" * 100
    channel = FakeChannel({"out-1": True})
    os.unlink(os.path.join(host.folder, "out-1"))  # what the worker does when asked
    run(maps.finish(channel))
    assert channel.asked == [["out-1"]] and host.live == {}


@pytest.mark.parametrize("channel", [FakeChannel(error=ConnectionError("gone")), FakeChannel({"out-2": False}), None])
def test_maps_the_worker_does_not_close_are_removed_by_the_host(host, channel):
    maps, _ = host.begin({CAPABILITY: "true"}, {})
    maps.take_outputs(_response_with_map(host, "out-2", b"o" * 10))
    run(maps.finish(channel))
    assert os.listdir(host.folder) == [] and host.live == {}


def test_an_unreadable_output_is_reported_naming_the_binding(host):
    maps, _ = host.begin({CAPABILITY: "true"}, {})
    shared = pb.RpcSharedMemory(name="missing", offset=0, count=5, type=pb.RpcDataType.Value("bytes"))
    response = pb.InvocationResponse(output_data=[pb.ParameterBinding(name="copy", rpc_shared_memory=shared)])
    assert "output 'copy'" in maps.take_outputs(response) and "missing" in maps.take_outputs(response)


def test_remove_all_at_stop(host):
    maps, _ = host.begin({CAPABILITY: "true"}, {"inp": pb.TypedData(bytes=b"x" * MIB)})
    assert maps is not None and len(os.listdir(host.folder)) == 1
    host.remove_all()
    assert os.listdir(host.folder) == []
