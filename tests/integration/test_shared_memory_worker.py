"""Shared-memory transfer with the real worker process (protocol §14): it advertises the
capability, reads an input the host put in a map, puts a large output binding (never the return
value) in a new map when the setting is on, and removes that map when the host closes it."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

from quickfunc.host import shared_memory as host_maps
from quickfunc.protos import pb
from tests.helpers import SUCCESS, app_path, run
from tests.integration.fakehost import start_worker

APP = app_path("host_shared_memory")
MIB = 1024 * 1024


def _http() -> pb.TypedData:
    return pb.TypedData(http=pb.RpcHttp(method="GET", url="http://127.0.0.1/api/Echo"))


def _input_map(folder: str, content: bytes, kind: str = "bytes") -> pb.ParameterBinding:
    name = str(uuid.uuid4())
    host_maps.write_map(folder, name, content)
    shared = pb.RpcSharedMemory(name=name, offset=0, count=len(content), type=pb.RpcDataType.Value(kind))
    return pb.ParameterBinding(name="inp", rpc_shared_memory=shared)


async def _echo(base: str, enabled: str, content: bytes) -> tuple[pb.InvocationResponse, list[str], dict, list[str]]:
    env = {
        "FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES": base,
        "FUNCTIONS_WORKER_SHARED_MEMORY_DATA_TRANSFER_ENABLED": enabled,
    }
    folder = host_maps.usable_dir([base])
    assert folder is not None
    async with start_worker(APP, env=env) as host:
        assert host.init_response is not None
        assert host.init_response.capabilities["SharedMemoryDataTransfer"] == "true"
        loads = await host.load_v1_app()
        request = pb.InvocationRequest(
            invocation_id=str(uuid.uuid4()),
            function_id=loads["Echo"][0],
            input_data=[pb.ParameterBinding(name="req", data=_http()), _input_map(folder, content)],
        )
        response = await host.channel.invoke(request, timeout=30)
        during = sorted(os.listdir(folder))
        names = [o.rpc_shared_memory.name for o in response.output_data if o.HasField("rpc_shared_memory")]
        closed = dict((await host.channel.close_shared_memory(names)).close_map_results) if names else {}
        after = sorted(os.listdir(folder))
    return response, during, closed, after


def test_input_from_a_map_and_large_output_to_a_map_closed_on_request(tmp_path):
    content = os.urandom(2 * MIB)
    response, during, closed, after = run(_echo(str(tmp_path), "true", content))
    assert response.result.status == SUCCESS, response.result.exception.message
    body = json.loads(response.return_value.http.body.bytes)
    assert body["size"] == len(content) and body["sha256"] == hashlib.sha256(content).hexdigest()
    (copy,) = response.output_data
    assert copy.name == "copy" and copy.WhichOneof("rpc_data") == "rpc_shared_memory"
    shared = copy.rpc_shared_memory
    assert (shared.offset, shared.count, shared.type) == (0, len(content), pb.RpcDataType.Value("bytes"))
    assert str(uuid.UUID(shared.name, version=4)) == shared.name
    assert shared.name in during
    folder = os.path.join(str(tmp_path), "AzureFunctions")
    assert closed == {shared.name: True}
    assert after == sorted(set(during) - {shared.name})  # only the test's own input map is left
    assert host_maps.read_map(folder, after[0], 0, len(content)) == content


def test_with_the_setting_off_inputs_are_still_read_but_outputs_stay_inline(tmp_path):
    content = os.urandom(MIB)
    response, during, closed, after = run(_echo(str(tmp_path), "false", content))
    assert response.result.status == SUCCESS, response.result.exception.message
    (copy,) = response.output_data
    assert copy.WhichOneof("rpc_data") == "data" and copy.data.bytes == content
    assert closed == {} and during == after and len(after) == 1


def test_a_missing_input_map_fails_the_invocation_naming_it(tmp_path):
    async def go():
        folder = host_maps.usable_dir([str(tmp_path)])
        assert folder is not None
        async with start_worker(APP, env={"FUNCTIONS_UNIX_SHARED_MEMORY_DIRECTORIES": str(tmp_path)}) as host:
            loads = await host.load_v1_app()
            binding = _input_map(folder, b"x" * 10)
            os.unlink(os.path.join(folder, binding.rpc_shared_memory.name))
            request = pb.InvocationRequest(
                invocation_id=str(uuid.uuid4()),
                function_id=loads["Echo"][0],
                input_data=[pb.ParameterBinding(name="req", data=_http()), binding],
            )
            return await host.channel.invoke(request, timeout=30), binding.rpc_shared_memory.name

    response, name = run(go())
    assert response.result.status != SUCCESS
    message = response.result.exception.message
    assert "Echo" in message and "'inp'" in message and name in message and "not found" in message
