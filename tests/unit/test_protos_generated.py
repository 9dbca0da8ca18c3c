"""The committed generated modules are exactly what scripts/gen_protos.py produces."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_committed_protos_match_regenerated(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    generated = sorted(tmp_path.glob("*_pb2.py"))
    assert generated, "gen_protos.py wrote no modules"
    for path in generated:
        committed = ROOT / "worker" / "quickfunc" / "protos" / path.name
        assert committed.exists(), f"{path.name} is generated but not committed"
        assert committed.read_bytes() == path.read_bytes(), (
            f"worker/quickfunc/protos/{path.name} differs from protos/*.proto; run python scripts/gen_protos.py"
        )


def test_service_path_and_key_field_numbers():
    from quickfunc.protos import EVENT_STREAM_METHOD, pb

    assert EVENT_STREAM_METHOD == "/AzureFunctionsRpcMessages.FunctionRpc/EventStream"
    service = pb.DESCRIPTOR.services_by_name["FunctionRpc"]
    method = service.methods_by_name["EventStream"]
    assert method.client_streaming and method.server_streaming
    fields = pb.StreamingMessage.DESCRIPTOR.fields_by_name
    expected = {
        "request_id": 1, "rpc_log": 2, "invocation_request": 4, "invocation_response": 5,
        "function_load_request": 8, "function_load_response": 9, "worker_status_request": 12,
        "worker_status_response": 13, "worker_terminate": 14, "worker_init_response": 16,
        "worker_init_request": 17, "start_stream": 20, "invocation_cancel": 21,
        "function_environment_reload_request": 25, "function_environment_reload_response": 26,
        "close_shared_memory_resources_request": 27, "close_shared_memory_resources_response": 28,
        "functions_metadata_request": 29, "function_metadata_response": 30,
        "function_load_request_collection": 31, "function_load_response_collection": 32,
        "worker_warmup_request": 33, "worker_warmup_response": 34,
    }
    assert {name: fields[name].number for name in expected} == expected
    assert pb.TypedData.DESCRIPTOR.fields_by_name["int"].type == pb.TypedData.DESCRIPTOR.fields_by_name["int"].TYPE_SINT64
    assert pb.RpcHttp.DESCRIPTOR.fields_by_name["rawBody"].number == 17
    assert pb.RpcLog.DESCRIPTOR.fields_by_name["propertiesMap"].number == 9
    assert pb.StatusResult.DESCRIPTOR.fields_by_name["status"].number == 4
