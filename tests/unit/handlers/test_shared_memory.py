"""CloseSharedMemoryResourcesRequest: maps this worker created are closed and their files removed;
names it never created are answered False and named in one error log (protocol §5.2)."""

from __future__ import annotations

import os

from quickfunc.protos import pb
from quickfunc.shared_memory import active
from tests.helpers import LEVEL


def test_unknown_maps_are_answered_false_and_named_in_one_error(worker_harness):
    worker = worker_harness()
    response = worker.run(worker.channel.close_shared_memory(["map-a", "map-b"]))
    assert dict(response.close_map_results) == {"map-a": False, "map-b": False}
    errors = [log for log in worker.channel.logs if "shared-memory" in log.message]
    assert len(errors) == 1 and errors[0].level == LEVEL("Error")
    assert "map-a" in errors[0].message and "map-b" in errors[0].message


def test_no_maps_no_log(worker_harness):
    worker = worker_harness()
    response = worker.run(worker.channel.close_shared_memory([]))
    assert dict(response.close_map_results) == {}
    assert not [log for log in worker.channel.logs if "shared-memory" in log.message]


def test_a_map_the_worker_created_is_closed_and_its_file_removed(worker_harness, tmp_path):
    env = {
        "FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED": "1",
        "FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES": str(tmp_path),
    }
    worker = worker_harness(env=env)
    outputs = [pb.ParameterBinding(name="out", data=pb.TypedData(bytes=b"z" * 1024 * 1024))]
    active().move_outputs(outputs)
    name = outputs[0].rpc_shared_memory.name
    assert os.listdir(tmp_path / "AzureFunctions") == [name]
    response = worker.run(worker.channel.close_shared_memory([name]))
    assert dict(response.close_map_results) == {name: True}
    assert os.listdir(tmp_path / "AzureFunctions") == []
