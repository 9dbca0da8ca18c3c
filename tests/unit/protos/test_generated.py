"""The committed generated modules say what scripts/gen_protos.py produces from protos/*.proto.

Compared by meaning, not by bytes, so any grpcio-tools (on any Python) can check them: the
serialized file descriptor inside each ``_pb2.py``, and the classes and fields of each ``.pyi``.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

from google.protobuf import descriptor_pb2

from tests.helpers import REPO_ROOT

ROOT = pathlib.Path(REPO_ROOT)
PACKAGE_PROTOS = ROOT / "worker" / "quickfunc" / "protos"


def _file_descriptor(module: pathlib.Path) -> descriptor_pb2.FileDescriptorProto:
    """The FileDescriptorProto a generated module registers (its AddSerializedFile argument)."""
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
        ):
            proto = descriptor_pb2.FileDescriptorProto()
            proto.ParseFromString(ast.literal_eval(node.args[0]))
            return proto
    raise AssertionError(f"{module.name} registers no serialized file descriptor")


def _stub_shape(stub: pathlib.Path) -> dict[str, list[str]]:
    """{class name (dotted for nested ones): its annotated names}, from a ``.pyi`` file."""
    shape: dict[str, list[str]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                name = prefix + node.name
                shape[name] = sorted(
                    n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                )
                visit(node.body, name + ".")

    visit(ast.parse(stub.read_text(encoding="utf-8")).body, "")
    return shape


def _generate(out: pathlib.Path) -> list[pathlib.Path]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    generated = sorted(out.glob("*_pb2.py"))
    assert generated, "gen_protos.py wrote no modules"
    return generated


def test_committed_modules_carry_the_descriptors_the_protos_define(tmp_path):
    for path in _generate(tmp_path):
        committed = PACKAGE_PROTOS / path.name
        assert committed.exists(), f"{path.name} is generated but not committed"
        assert _file_descriptor(committed) == _file_descriptor(path), (
            f"worker/quickfunc/protos/{path.name} differs from protos/*.proto; run python scripts/gen_protos.py"
        )


def test_committed_stubs_declare_every_message_and_field(tmp_path):
    for path in _generate(tmp_path):
        stub = path.with_suffix(".pyi")
        committed = PACKAGE_PROTOS / stub.name
        assert committed.exists(), f"{stub.name} is generated but not committed"
        assert _stub_shape(committed) == _stub_shape(stub)
        assert "StreamingMessage" in _stub_shape(committed)


def test_a_changed_descriptor_is_noticed(tmp_path):
    """The comparison can fail: a module with one field renamed compares unequal."""
    [path] = [p for p in _generate(tmp_path) if p.name == "function_rpc_pb2.py"]
    proto = _file_descriptor(path)
    proto.message_type[0].field[0].name += "_renamed"
    assert proto != _file_descriptor(PACKAGE_PROTOS / path.name)


def test_service_path_and_key_field_numbers():
    from quickfunc.protos import EVENT_STREAM_METHOD, pb

    assert EVENT_STREAM_METHOD == "/AzureFunctionsRpcMessages.FunctionRpc/EventStream"
    service = pb.DESCRIPTOR.services_by_name["FunctionRpc"]
    method = service.methods_by_name["EventStream"]
    assert method.client_streaming and method.server_streaming
    fields = pb.StreamingMessage.DESCRIPTOR.fields_by_name
    expected = {
        "request_id": 1,
        "rpc_log": 2,
        "invocation_request": 4,
        "invocation_response": 5,
        "function_load_request": 8,
        "function_load_response": 9,
        "worker_status_request": 12,
        "worker_status_response": 13,
        "worker_terminate": 14,
        "worker_init_response": 16,
        "worker_init_request": 17,
        "start_stream": 20,
        "invocation_cancel": 21,
        "function_environment_reload_request": 25,
        "function_environment_reload_response": 26,
        "close_shared_memory_resources_request": 27,
        "close_shared_memory_resources_response": 28,
        "functions_metadata_request": 29,
        "function_metadata_response": 30,
        "function_load_request_collection": 31,
        "function_load_response_collection": 32,
        "worker_warmup_request": 33,
        "worker_warmup_response": 34,
    }
    assert {name: fields[name].number for name in expected} == expected
    int_field = pb.TypedData.DESCRIPTOR.fields_by_name["int"]
    assert int_field.type == int_field.TYPE_SINT64
    assert pb.RpcHttp.DESCRIPTOR.fields_by_name["rawBody"].number == 17
    assert pb.RpcLog.DESCRIPTOR.fields_by_name["propertiesMap"].number == 9
    assert pb.StatusResult.DESCRIPTOR.fields_by_name["status"].number == 4
