"""Environment reload is all or nothing: a refused reload leaves the environment, the working
directory and the app folder as they were, and says which variable or folder is at fault.

App ``tests/apps/v1_lifecycle`` (EnvInfo reports NEW_SETTING, OLD_SETTING and the cwd).
"""

from __future__ import annotations

import json
import os

from quickfunc.host.function_json import discover_v1_functions
from tests.helpers import FAILURE, SUCCESS, app_path, failure_text, http, run
from tests.integration.fakehost import start_worker

APP = app_path("v1_lifecycle")
NOTHING_CHANGED = "Nothing was changed"


def _env_info(response) -> dict:
    assert response.result.status == SUCCESS, failure_text(response)
    return json.loads(response.return_value.http.body.bytes)


def test_a_reload_with_a_bad_variable_changes_nothing_and_names_the_variable():
    good = {"NEW_SETTING": "specialized", "PATH": os.environ.get("PATH", "")}
    bad_envs = [
        {**good, "BAD=NAME": "x"},
        {**good, "NUL_VALUE": "a\0b"},
        {**good, "NUL\0NAME": "x"},
        {**good, "": "empty name"},
    ]

    async def go():
        async with start_worker(APP, env={"OLD_SETTING": "placeholder"}) as host:
            loads = await host.load_v1_app()
            env_info = loads["EnvInfo"][0]
            refused = [await host.channel.reload_environment(env, APP, timeout=10) for env in bad_envs]
            after_refusals = await host.invoke(env_info, {"req": http()})
            accepted = await host.channel.reload_environment(good, APP, timeout=10)
            after_reload = await host.invoke(env_info, {"req": http()})
            return refused, after_refusals, accepted, after_reload

    refused, after_refusals, accepted, after_reload = run(go())
    assert _env_info(after_refusals) == {"new_setting": None, "old_setting": "placeholder", "cwd": APP}
    expected_names = ["'BAD=NAME'", "'NUL_VALUE'", r"'NUL\x00NAME'", "empty name"]
    for response, name in zip(refused, expected_names, strict=True):
        assert response.result.status == FAILURE
        message = response.result.exception.message
        assert name in message and NOTHING_CHANGED in message, message
        assert "\0" not in message
        assert response.result.exception.type == "ValueError"
        assert response.worker_metadata.runtime_name == "python"
    assert accepted.result.status == SUCCESS, accepted.result.exception.message
    assert _env_info(after_reload) == {"new_setting": "specialized", "old_setting": None, "cwd": APP}


def test_a_reload_to_a_missing_app_folder_keeps_the_app_folder(tmp_path):
    missing = str(tmp_path / "missing")
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    env = {"NEW_SETTING": "specialized", "PATH": os.environ.get("PATH", "")}

    async def go():
        async with start_worker(APP, env={"OLD_SETTING": "placeholder"}) as host:
            refused = [
                await host.channel.reload_environment(env, folder, timeout=10)
                for folder in (missing, str(not_a_folder))
            ]
            # the app folder is still APP: its functions load (a load from elsewhere is refused)
            found = discover_v1_functions(APP)
            loads = [await host.channel.load(fid, md, timeout=10) for fid, md in found]
            ids = {md.name: fid for fid, md in found}
            invoked = await host.invoke(ids["EnvInfo"], {"req": http()})
            return refused, loads, invoked

    refused, loads, invoked = run(go())
    assert [load.result.status for load in loads] == [SUCCESS] * len(loads), [
        load.result.exception.message for load in loads
    ]
    assert _env_info(invoked) == {"new_setting": None, "old_setting": "placeholder", "cwd": APP}
    for response, folder, why in zip(
        refused, (missing, str(not_a_folder)), ("does not exist", "is not a folder"), strict=True
    ):
        assert response.result.status == FAILURE
        message = response.result.exception.message
        assert repr(folder) in message and why in message and NOTHING_CHANGED in message, message
