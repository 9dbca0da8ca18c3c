"""The worker runs code only from the app folder the host named, whatever a load or metadata
request says: `..`, absolute paths elsewhere and symlinks that lead out are refused, clearly.

Each test builds an app folder and, next to it, code that must never run: importing it writes a
marker file. Crafted requests go to a real worker process over gRPC.
"""

from __future__ import annotations

import json
import os
import textwrap
import uuid

import pytest

from quickfunc.host.function_json import v1_metadata_from_folder
from quickfunc.protos import pb
from tests.helpers import FAILURE, SUCCESS, http, run
from tests.integration.fakehost import start_worker

HTTP_BINDINGS = {
    "bindings": [
        {"type": "httpTrigger", "direction": "in", "name": "req"},
        {"type": "http", "direction": "out", "name": "$return"},
    ]
}
GOOD_CODE = "def main(req) -> str:\n    return 'good'\n"
EVIL_CODE = textwrap.dedent("""\
    import os
    with open(os.environ["QUICKFUNC_MARKER"], "a") as marker:
        marker.write(__file__ + "\\n")

    def main(req) -> str:
        return "evil ran"
    """)
EVIL_V2 = EVIL_CODE + textwrap.dedent("""\
    import azure.functions as func
    app = func.FunctionApp()

    @app.route(route="evil")
    def evil(req: func.HttpRequest) -> str:
        return "evil ran"
    """)


class Layout:
    """tmp/app (the app) and tmp/outside (code that must not run), with symlinks between."""

    def __init__(self, root) -> None:
        self.root = str(root)
        self.app = os.path.join(self.root, "app")
        self.outside = os.path.join(self.root, "outside")
        self.marker = os.path.join(self.root, "marker.txt")
        self._function(self.app, "Good", GOOD_CODE)
        self._function(self.outside, "Evil", EVIL_CODE)
        with open(os.path.join(self.outside, "function_app.py"), "w") as f:
            f.write(EVIL_V2)
        # a folder symlink and a file symlink that lead out of the app
        os.symlink(os.path.join(self.outside, "Evil"), os.path.join(self.app, "LinkDir"))
        os.makedirs(os.path.join(self.app, "LinkFile"))
        os.symlink(os.path.join(self.outside, "Evil", "__init__.py"), os.path.join(self.app, "LinkFile", "__init__.py"))
        # a symlink that stays inside the app is fine
        os.symlink(os.path.join(self.app, "Good"), os.path.join(self.app, "Alias"))

    @staticmethod
    def _function(app: str, name: str, code: str) -> None:
        os.makedirs(os.path.join(app, name))
        with open(os.path.join(app, name, "function.json"), "w") as f:
            json.dump(HTTP_BINDINGS, f)
        with open(os.path.join(app, name, "__init__.py"), "w") as f:
            f.write(code)

    def metadata(self, name: str, directory: str, script_file: str) -> pb.RpcFunctionMetadata:
        metadata = v1_metadata_from_folder(os.path.join(self.app, "Good"))
        metadata.name, metadata.directory, metadata.script_file = name, directory, script_file
        return metadata

    def evil_ran(self) -> bool:
        return os.path.exists(self.marker)


@pytest.fixture
def layout(tmp_path) -> Layout:
    return Layout(tmp_path)


def _escapes(layout: Layout) -> list[tuple[str, pb.RpcFunctionMetadata]]:
    evil_dir = os.path.join(layout.outside, "Evil")
    evil_script = os.path.join(evil_dir, "__init__.py")
    good_dir = os.path.join(layout.app, "Good")
    return [
        ("absolute path elsewhere", layout.metadata("Abs", evil_dir, evil_script)),
        (
            "dot-dot in the script path",
            layout.metadata(
                "DotDotScript", good_dir, os.path.join(good_dir, "..", "..", "outside", "Evil", "__init__.py")
            ),
        ),
        ("relative script path with dot-dot", layout.metadata("RelScript", good_dir, "../../outside/Evil/__init__.py")),
        (
            "dot-dot in the folder",
            layout.metadata(
                "DotDotDir",
                os.path.join(layout.app, "..", "outside", "Evil"),
                os.path.join(layout.app, "..", "outside", "Evil", "__init__.py"),
            ),
        ),
        (
            "folder symlink out of the app",
            layout.metadata(
                "LinkDir", os.path.join(layout.app, "LinkDir"), os.path.join(layout.app, "LinkDir", "__init__.py")
            ),
        ),
        (
            "file symlink out of the app",
            layout.metadata(
                "LinkFile", os.path.join(layout.app, "LinkFile"), os.path.join(layout.app, "LinkFile", "__init__.py")
            ),
        ),
        ("no folder and a script elsewhere", layout.metadata("NoDir", "", evil_script)),
        (
            "the app's parent as the folder",
            layout.metadata("Parent", layout.root, os.path.join(layout.root, "outside", "Evil", "__init__.py")),
        ),
        ("a NUL byte in the path", layout.metadata("Nul", good_dir + "\x00/../../outside/Evil", evil_script)),
    ]


def test_load_requests_for_code_outside_the_app_folder_are_refused(layout):
    env = {"QUICKFUNC_MARKER": layout.marker}
    cases = _escapes(layout)

    async def go():
        async with start_worker(layout.app, env=env) as host:
            answers = {}
            for what, metadata in cases:
                answers[what] = await host.channel.load(str(uuid.uuid4()), metadata, timeout=10)
            good_id = str(uuid.uuid4())
            good = await host.channel.load(
                good_id, v1_metadata_from_folder(os.path.join(layout.app, "Good")), timeout=10
            )
            invoked = await host.invoke(good_id, {"req": http()})
            return answers, good, invoked

    answers, good, invoked = run(go())
    for (what, metadata), answer in zip(cases, answers.values(), strict=True):
        message = answer.result.exception.message
        assert answer.result.status == FAILURE, f"{what}: loaded"
        assert f"the {metadata.name} function" in message, f"{what}: {message}"
        assert "outside the function app folder" in message, f"{what}: {message}"
        assert layout.app in message, f"{what}: {message}"
    assert not layout.evil_ran(), open(layout.marker).read()
    assert good.result.status == SUCCESS, good.result.exception.message
    assert invoked.return_value.string == "good"


def test_a_symlink_that_stays_inside_the_app_folder_loads(layout):
    async def go():
        async with start_worker(layout.app) as host:
            function_id = str(uuid.uuid4())
            alias = os.path.join(layout.app, "Alias")
            loaded = await host.channel.load(
                function_id, layout.metadata("Alias", alias, os.path.join(alias, "__init__.py")), timeout=10
            )
            return loaded, await host.invoke(function_id, {"req": http()})

    loaded, invoked = run(go())
    assert loaded.result.status == SUCCESS, loaded.result.exception.message
    assert invoked.return_value.string == "good"


def test_worker_indexed_load_and_metadata_requests_for_another_folder_are_refused(layout):
    env = {"QUICKFUNC_MARKER": layout.marker}
    function_id = str(uuid.uuid5(uuid.NAMESPACE_OID, "evil"))
    indexed = pb.RpcFunctionMetadata(
        name="evil",
        function_id=function_id,
        directory=layout.outside,
        script_file="function_app.py",
        properties={"worker_indexed": "True"},
    )

    async def go():
        async with start_worker(layout.app, env=env) as host:
            loaded = await host.channel.load(function_id, indexed, timeout=10)
            collection = await host.channel.load_collection(
                [pb.FunctionLoadRequest(function_id=function_id + "-2", metadata=indexed)], timeout=10
            )
            metadata = await host.channel.functions_metadata(layout.outside, timeout=10)
            invoked = await host.invoke(function_id, {"req": http()})
            return loaded, collection[0], metadata, invoked

    loaded, collection, metadata, invoked = run(go())
    for answer in (loaded, collection):
        assert answer.result.status == FAILURE
        message = answer.result.exception.message
        assert "the evil function" in message and "not the function app folder" in message
        assert layout.outside in message and layout.app in message
    assert metadata.result.status == FAILURE
    assert not metadata.function_metadata_results and not metadata.use_default_metadata_indexing
    assert layout.outside in metadata.result.exception.message
    assert "not the function app folder" in metadata.result.exception.message
    assert invoked.result.status == FAILURE  # the refused function is not there to invoke
    assert not layout.evil_ran(), open(layout.marker).read()


def test_the_app_folder_follows_an_environment_reload(layout):
    """After a reload to another app folder, that folder is the one code may come from."""
    env = {"QUICKFUNC_MARKER": layout.marker}
    placeholder = os.path.join(layout.root, "placeholder")
    os.makedirs(placeholder)

    async def go():
        async with start_worker(placeholder, env=env) as host:
            good_md = v1_metadata_from_folder(os.path.join(layout.app, "Good"))
            before = await host.channel.load(str(uuid.uuid4()), good_md, timeout=10)
            reload_env = {"PATH": os.environ.get("PATH", ""), **env}
            reloaded = await host.channel.reload_environment(reload_env, layout.app, timeout=10)
            good_id = str(uuid.uuid4())
            after = await host.channel.load(good_id, good_md, timeout=10)
            invoked = await host.invoke(good_id, {"req": http()})
            return before, reloaded, after, invoked

    before, reloaded, after, invoked = run(go())
    assert before.result.status == FAILURE
    assert placeholder in before.result.exception.message
    assert reloaded.result.status == SUCCESS
    assert after.result.status == SUCCESS, after.result.exception.message
    assert invoked.return_value.string == "good"
