"""The in-process worker harness (tests/harness.py) leaves the test process as it found it."""

from __future__ import annotations

import os
import sys
import threading

from quickfunc.protos import pb
from tests.harness import WorkerHarness
from tests.helpers import SUCCESS, app_path, http


def test_closing_puts_back_environment_cwd_sys_path_and_the_apps_modules(tmp_path):
    before = (dict(os.environ), os.getcwd(), list(sys.path), set(sys.modules))
    with WorkerHarness(app_path("v1_lifecycle"), env={"QUICKFUNC_HARNESS_TEST": "1"}) as worker:
        worker.load_v1_app()
        assert worker.invoke("Hello", {"req": http()}).result.status == SUCCESS
        worker.run(worker.channel.reload_environment({"ONLY": "this"}, str(tmp_path)))
        assert os.getcwd() == str(tmp_path) and "ONLY" in os.environ
        assert "__app__.Hello" in sys.modules
    assert (dict(os.environ), os.getcwd(), list(sys.path)) == before[:3]
    assert not [name for name in set(sys.modules) - before[3] if name.startswith("__app__")]


def test_a_harness_inside_another_leaves_the_outer_apps_modules_and_takes_its_own(tmp_path):
    imports = tmp_path / "imports.log"
    with WorkerHarness(app_path("v2_blueprint")) as outer:
        assert outer.metadata().result.status == SUCCESS
        outer_script = sys.modules["function_app"]
        for _ in range(2):  # the second inner worker imports the app again: nothing of it stayed
            env = {"V2_IMPORT_LOG": str(imports)}
            with WorkerHarness(app_path("v2_counted"), env=env) as inner:
                assert inner.metadata().result.status == SUCCESS
            assert sys.modules["function_app"] is outer_script
        assert len(imports.read_text().split()) == 2


def test_messages_cross_as_bytes_and_are_all_kept_in_order():
    with WorkerHarness(app_path("v1_lifecycle")) as worker:
        worker.load_v1_app()
        kinds = worker.kinds()
        assert kinds[0] == "worker_init_response" and set(kinds[1:]) == {"function_load_response"}
        assert all(m.SerializeToString() for m in worker.sent)


def test_a_pool_thread_that_answers_after_close_finds_nowhere_to_send_and_no_error():
    worker = WorkerHarness()
    worker.close()
    errors: list[BaseException] = []

    def late() -> None:
        try:
            worker.state.send(pb.StreamingMessage(worker_status_response=pb.WorkerStatusResponse()))
        except BaseException as exc:  # noqa: BLE001 - the point of the test
            errors.append(exc)

    thread = threading.Thread(target=late)
    thread.start()
    thread.join(5)
    assert errors == [] and worker.kinds() == ["worker_init_response"]
    worker.close()  # closing twice is fine


def test_bytes_the_worker_cannot_parse_end_the_stream_and_say_why():
    with WorkerHarness() as worker:
        worker.send_raw(b"\xff\xff\xff\xff")
        assert "ended its stream" in worker.run(worker.channel.wait_closed(10))
        assert worker.undecodable is not None
