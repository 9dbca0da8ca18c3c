"""WorkerInitRequest: the answer (capabilities, metadata, ids), the app folder made importable,
and indexing at init when PYTHON_ENABLE_INIT_INDEXING asks for it."""

from __future__ import annotations

import os
import platform
import sys

import quickfunc
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, app_path

#: what the worker implements and so advertises (protocol §6.1); nothing else
CAPABILITIES = {
    "RawHttpBodyBytes",
    "TypedDataCollection",
    "RpcHttpBodyOnly",
    "RpcHttpTriggerMetadataRemoved",
    "IncludeEmptyEntriesInMessagePayload",
    "WorkerStatus",
    "HandlesInvocationCancelMessage",
    "HandlesWorkerTerminateMessage",
    "HandlesWorkerWarmupMessage",
    "SupportsLoadResponseCollection",
    "EnableUserCodeException",
    "SharedMemoryDataTransfer",
}


def _init_request(app_dir: str, request_id: str = "host-init") -> pb.StreamingMessage:
    return pb.StreamingMessage(
        request_id=request_id,
        worker_init_request=pb.WorkerInitRequest(
            host_version="4.1037.0", function_app_directory=app_dir, capabilities={"MultiStream": "10"}
        ),
    )


def test_init_succeeds_and_advertises_only_what_the_worker_implements(worker_harness):
    response = worker_harness(app_path("v1_lifecycle")).init_response
    assert response.result.status == SUCCESS
    assert set(response.capabilities) == CAPABILITIES
    assert set(response.capabilities.values()) == {"true"}


def test_init_describes_the_worker(worker_harness):
    metadata = worker_harness(app_path("v1_lifecycle")).init_response.worker_metadata
    assert metadata.runtime_name == "python"
    assert metadata.runtime_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert metadata.worker_version == quickfunc.__version__
    assert metadata.worker_bitness == platform.machine()


def test_the_init_answer_carries_the_workers_request_id_not_the_hosts(worker_harness):
    worker = worker_harness(init=False, request_id="worker-42")
    worker.send(_init_request(app_path("v1_lifecycle"), request_id="host-7"))
    assert worker.next_reply("worker_init_response").request_id == "worker-42"


def test_init_remembers_the_host_and_makes_the_app_folder_importable(worker_harness):
    app = app_path("v1_lifecycle")
    worker = worker_harness(app, capabilities={"MultiStream": "10", "Other": "x"})
    assert worker.state.init_received
    assert worker.state.host_capabilities == {"MultiStream": "10", "Other": "x"}
    assert worker.state.app_dir == app and app in sys.path


def test_init_without_an_app_folder_still_succeeds(worker_harness):
    worker = worker_harness()
    assert worker.init_response.result.status == SUCCESS
    assert worker.state.app_dir is None


def test_each_init_request_gets_its_own_answer(worker_harness):
    worker = worker_harness(init=False)
    for _ in range(3):
        worker.send(_init_request(app_path("v1_lifecycle")))
    answers = [worker.next_reply("worker_init_response") for _ in range(3)]
    assert [a.worker_init_response.result.status for a in answers] == [SUCCESS] * 3


def test_init_indexing_imports_the_app_once_for_init_and_metadata(worker_harness, tmp_path):
    imports = tmp_path / "imports.log"
    worker = worker_harness(
        app_path("v2_counted"), env={"PYTHON_ENABLE_INIT_INDEXING": "1", "V2_IMPORT_LOG": str(imports)}
    )
    assert imports.read_text().split() == [str(os.getpid())]  # indexed during init
    response = worker.metadata()
    assert [f.name for f in response.function_metadata_results] == ["ping", "tick"]
    assert imports.read_text().split() == [str(os.getpid())]  # and not again


def test_without_init_indexing_the_app_is_imported_at_the_metadata_request(worker_harness, tmp_path):
    imports = tmp_path / "imports.log"
    worker = worker_harness(app_path("v2_counted"), env={"V2_IMPORT_LOG": str(imports)})
    assert not imports.exists()
    worker.metadata()
    assert imports.read_text().split() == [str(os.getpid())]


def test_a_broken_app_fails_its_metadata_request_not_init_indexing(worker_harness, tmp_path):
    (tmp_path / "function_app.py").write_text("import azure.functions\nraise ValueError('no')\n")
    worker = worker_harness(str(tmp_path), env={"PYTHON_ENABLE_INIT_INDEXING": "1"})
    assert worker.init_response.result.status == SUCCESS
    response = worker.metadata()
    assert response.result.status == FAILURE
    assert "function_app.py:2" in response.result.exception.message
