"""The app's functions as the host sees them: from the worker's metadata (v2) or folders (v1)."""

from __future__ import annotations

import json

from quickfunc.host.catalog import catalog_from_folders, catalog_from_metadata, load_request
from quickfunc.protos import pb


def _metadata(name: str, raw: list[dict], ok: bool = True) -> pb.RpcFunctionMetadata:
    md = pb.RpcFunctionMetadata(
        name=name,
        function_id=f"id-{name}",
        directory="/app",
        script_file="function_app.py",
        entry_point=name,
        raw_bindings=[json.dumps(b) for b in raw],
    )
    md.properties["worker_indexed"] = "True"
    md.status.status = pb.StatusResult.Success if ok else pb.StatusResult.Failure
    if not ok:
        md.status.exception.message = "SyntaxError: bad"
    return md


def test_v2_functions_from_the_metadata_response():
    response = pb.FunctionMetadataResponse(
        function_metadata_results=[
            _metadata(
                "hello",
                [
                    {
                        "direction": "IN",
                        "type": "httpTrigger",
                        "name": "req",
                        "methods": ["GET"],
                        "route": "hi/{x}",
                        "authLevel": "ANONYMOUS",
                    },
                    {"direction": "OUT", "type": "http", "name": "$return"},
                    {"direction": "OUT", "type": "queue", "name": "msg", "queueName": "q1"},
                ],
            ),
            _metadata("broken", [], ok=False),
        ]
    )
    catalog = catalog_from_metadata(response, disabled=["HELLO"])
    hello, broken = catalog.functions
    assert catalog.programming_model == "v2"
    assert hello.is_http and hello.trigger is not None and hello.trigger.get("ROUTE") == "hi/{x}"
    assert hello.http_output is not None and hello.http_output.name == "$return"
    assert [(b.name, b.target()) for b in hello.outputs] == [("msg", "q1")]
    assert hello.disabled
    request = load_request(hello)
    assert request.function_id == "id-hello"
    assert request.metadata.properties["worker_indexed"] == "True"
    assert request.metadata.properties["FunctionId"] == "id-hello"
    assert list(request.metadata.raw_bindings) == []
    assert broken.error == "SyntaxError: bad" and not broken.runnable
    assert catalog.loadable() == [hello]
    assert catalog.get("HELLO") is hello and catalog.by_id("id-broken") is broken


def test_v1_functions_from_folders_with_a_broken_one_kept_as_an_error(tmp_path):
    good = tmp_path / "Good"
    good.mkdir()
    (good / "function.json").write_text(
        json.dumps({"bindings": [{"type": "timerTrigger", "direction": "in", "name": "t", "schedule": "0 * * * * *"}]})
    )
    bad = tmp_path / "Bad"
    bad.mkdir()
    (bad / "function.json").write_text('{"bindings": [{"type": "queue"}]}')
    off = tmp_path / "Off"
    off.mkdir()
    (off / "function.json").write_text(json.dumps({"disabled": True, "bindings": []}))
    (tmp_path / "NotAFunction").mkdir()
    catalog = catalog_from_folders(str(tmp_path))
    assert [f.name for f in catalog.functions] == ["Bad", "Good", "Off"]
    bad_spec, good_spec, off_spec = catalog.functions
    assert "bindings[0].name" in bad_spec.error
    assert good_spec.is_timer and good_spec.trigger is not None and good_spec.trigger.get("schedule") == "0 * * * * *"
    assert good_spec.metadata.script_file == str(good / "__init__.py")
    assert good_spec.metadata.properties["FunctionId"] == good_spec.function_id
    assert off_spec.disabled
    assert catalog.loadable() == [good_spec, off_spec]
