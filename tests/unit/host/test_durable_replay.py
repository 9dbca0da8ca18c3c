"""The engine's episodes and store against the real azure-functions-durable library, without a
worker: the context we build replays in the library, and the task ids we give activities, timers
and retries match the ids the library waits for."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from typing import Any

import azure.durable_functions as df  # type: ignore[import-untyped]
import pytest

from quickfunc.host.durable.command import main as durable_command
from quickfunc.host.durable.episode import begin, fail, failure_state, finish
from quickfunc.host.durable.history import FINAL, Ev, event
from quickfunc.host.durable.store import DurableStore


def run_all(
    store: DurableStore, orchestrators: dict[str, Callable], activities: dict[str, Callable], rounds: int = 500
) -> None:
    """Run episodes, activities and timers (timers fire at once) until nothing is left."""
    for _ in range(rounds):
        busy = False
        for instance_id in store.waiting_instances():
            instance = store.get(instance_id)
            assert instance is not None
            if instance.status in FINAL:
                continue
            busy = True
            episode = begin(instance, store.history(instance_id), store.inbox(instance_id))
            handle = df.Orchestrator.create(orchestrators[instance.name])
            try:
                plan = finish(episode, json.loads(handle(episode.context())))
            except Exception as exc:
                message, _ = failure_state(str(exc))
                plan = fail(episode, message)
            store.apply(plan)
        for work in store.all_work():
            busy = True
            if work.kind == "timer":
                store.finish_work(work, event(Ev.TIMER_FIRED, TimerId=work.task_id), work.meta)
                continue
            try:
                value = activities[work.name](json.loads(work.input or "null"))
                ev = event(Ev.TASK_COMPLETED, TaskScheduledId=work.task_id, Result=json.dumps(value))
            except Exception as exc:
                ev = event(Ev.TASK_FAILED, TaskScheduledId=work.task_id, Reason=str(exc), Details=None)
            store.finish_work(work, ev, work.meta)
        if not busy:
            return
    raise AssertionError("the orchestrations did not finish")


@pytest.fixture
def store(tmp_path):
    s = DurableStore(str(tmp_path / ".quickfunc" / "storage.db"))
    yield s
    s.close()


def output(store: DurableStore, instance_id: str) -> Any:
    instance = store.get(instance_id)
    assert instance is not None
    return instance.status, json.loads(instance.output) if instance.output else None


def test_chaining_replays_in_the_library(store):
    def chain(context):
        a = yield context.call_activity("hello", "Tokyo")
        b = yield context.call_activity("hello", "London")
        return [a, b, context.get_input()]

    assert store.create("i1", "chain", json.dumps({"x": 1}))
    run_all(store, {"chain": chain}, {"hello": lambda city: f"Hello {city}"})
    assert output(store, "i1") == ("Completed", ["Hello Tokyo", "Hello London", {"x": 1}])
    kinds = [e["EventType"] for e in store.history("i1")]
    assert kinds[:2] == [Ev.ORCHESTRATOR_STARTED, Ev.EXECUTION_STARTED]
    assert kinds.count(Ev.TASK_SCHEDULED) == 2 and kinds[-1] == Ev.EXECUTION_COMPLETED


def test_fan_out_fan_in(store):
    def fan(context):
        results = yield context.task_all([context.call_activity("sq", i) for i in range(30)])
        return sum(results)

    store.create("f", "fan", None)
    run_all(store, {"fan": fan}, {"sq": lambda n: n * n})
    assert output(store, "f") == ("Completed", sum(i * i for i in range(30)))
    scheduled = [e["EventId"] for e in store.history("f") if e["EventType"] == Ev.TASK_SCHEDULED]
    assert scheduled == list(range(30))


def test_activity_retry_takes_the_ids_the_library_expects(store):
    calls = {"n": 0}

    def flaky(_):
        calls["n"] += 1
        if calls["n"] < 3:
            raise RuntimeError(f"attempt {calls['n']}")
        return "ok"

    def orch(context):
        retry = df.RetryOptions(first_retry_interval_in_milliseconds=1, max_number_of_attempts=3)
        first = yield context.call_activity_with_retry("flaky", retry, None)
        second = yield context.call_activity("flaky", None)  # numbered after the retries
        return [first, second]

    store.create("r", "orch", None)
    run_all(store, {"orch": orch}, {"flaky": flaky})
    assert output(store, "r") == ("Completed", ["ok", "ok"])
    assert calls["n"] == 4


def test_retries_exhausted_fail_the_orchestration_with_the_activity_error(store):
    def orch(context):
        retry = df.RetryOptions(first_retry_interval_in_milliseconds=1, max_number_of_attempts=2)
        yield context.call_activity_with_retry("bad", retry, None)

    def bad(_):
        raise RuntimeError("always bad")

    store.create("x", "orch", None)
    run_all(store, {"orch": orch}, {"bad": bad})
    status, message = output(store, "x")
    assert status == "Failed" and "always bad" in message
    failed = [e for e in store.history("x") if e["EventType"] == Ev.TASK_FAILED]
    assert len(failed) == 2


def test_sub_orchestration_and_continue_as_new(store):
    def parent(context):
        value = yield context.call_sub_orchestrator("loop", 0)
        return value * 10

    def loop(context):
        n = context.get_input()
        if n >= 2:
            return n
        yield context.call_activity("noop", n)
        context.continue_as_new(n + 1)

    store.create("p", "parent", None)
    run_all(store, {"parent": parent, "loop": loop}, {"noop": lambda n: n})
    assert output(store, "p") == ("Completed", 20)
    assert output(store, "p:0") == ("Completed", 2)


def test_external_event_and_the_store_answers(store):
    def wait(context):
        approved = yield context.wait_for_external_event("Approve")
        return approved

    store.create("w", "wait", None)
    run_all(store, {"wait": wait}, {})
    assert store.get("w").status == "Running"
    assert not store.create("w", "wait", None)  # still running: not started again
    assert store.raise_event("w", "Approve", json.dumps({"ok": True})) == 202
    assert store.raise_event("nope", "Approve", None) == 404
    run_all(store, {"wait": wait}, {})
    assert output(store, "w") == ("Completed", {"ok": True})
    assert store.raise_event("w", "Approve", None) == 410
    assert store.terminate("w", "late") == 410
    assert store.purge(["w", "nope"]) == 1 and store.get("w") is None


def test_terminate_drops_pending_work_and_late_results(store):
    def orch(context):
        yield context.call_activity("slow", None)

    store.create("t", "orch", None)
    instance = store.get("t")
    assert instance is not None
    episode = begin(instance, [], store.inbox("t"))
    store.apply(finish(episode, json.loads(df.Orchestrator.create(orch)(episode.context()))))
    (work,) = store.all_work()
    assert store.terminate("t", "stop") == 202
    assert store.all_work() == []
    assert not store.finish_work(work, event(Ev.TASK_COMPLETED, TaskScheduledId=0, Result="1"))
    assert output(store, "t") == ("Terminated", "stop")


def test_the_durable_command_lists_and_shows(store, tmp_path, capsys):
    def orch(context):
        value = yield context.call_activity("one", None)
        return value

    store.create("c1", "orch", None)
    run_all(store, {"orch": orch}, {"one": lambda _: 1})
    out = io.StringIO()
    assert durable_command([str(tmp_path), "list"], out) == 0
    assert out.getvalue().startswith("c1  orch  Completed")
    out = io.StringIO()
    assert durable_command([str(tmp_path), "show", "c1"], out) == 0
    assert "output: 1" in out.getvalue() and "TaskCompleted" in out.getvalue()
    assert durable_command([str(tmp_path), "show", "nope"], io.StringIO()) == 1
    assert durable_command([os.path.join(str(tmp_path), "elsewhere"), "list"], io.StringIO()) == 1


def test_a_work_result_is_queued_once(store):
    def orch(context):
        value = yield context.call_activity("one", None)
        return value

    store.create("d", "orch", None)
    instance = store.get("d")
    assert instance is not None
    episode = begin(instance, [], store.inbox("d"))
    store.apply(finish(episode, json.loads(df.Orchestrator.create(orch)(episode.context()))))
    (work,) = store.all_work()
    done = event(Ev.TASK_COMPLETED, TaskScheduledId=work.task_id, Result="1")
    assert store.finish_work(work, done)
    assert not store.finish_work(work, done)  # the same work finished twice
    assert [e["EventType"] for _, e, _ in store.inbox("d")] == [Ev.TASK_COMPLETED]


def _episode(store: DurableStore, instance_id: str, orchestrator: Callable) -> Any:
    instance = store.get(instance_id)
    assert instance is not None
    episode = begin(instance, store.history(instance_id), store.inbox(instance_id))
    return episode, finish(episode, json.loads(df.Orchestrator.create(orchestrator)(episode.context())))


def test_continue_as_new_keeps_events_that_arrived_during_the_episode_after_the_new_start(store):
    def loop(context):
        generation = context.get_input() or 0
        if generation == 0:
            context.continue_as_new(1)
            return None
        value = yield context.wait_for_external_event("Add")
        return value

    store.create("c", "loop", None)
    _, plan = _episode(store, "c", loop)
    assert store.raise_event("c", "Add", "5") == 202  # arrives while generation 0 runs
    assert store.apply(plan) and plan.restart
    episode, plan = _episode(store, "c", loop)
    kinds = [e["EventType"] for e in episode.new]
    assert kinds[:3] == [Ev.ORCHESTRATOR_STARTED, Ev.EXECUTION_STARTED, Ev.EVENT_RAISED]
    store.apply(plan)
    assert output(store, "c") == ("Completed", 5)


def test_continue_as_new_discards_an_event_it_was_given_but_did_not_wait_for(store):
    def loop(context):
        generation = context.get_input() or 0
        if generation == 0:
            yield context.call_activity("noop", 0)
            context.continue_as_new(1)
            return None
        value = yield context.wait_for_external_event("Add")
        return value

    store.create("d", "loop", None)
    store.apply(_episode(store, "d", loop)[1])
    (work,) = store.all_work()
    store.raise_event("d", "Add", "1")  # delivered with the activity's result, not waited for
    store.finish_work(work, event(Ev.TASK_COMPLETED, TaskScheduledId=0, Result="0"))
    store.apply(_episode(store, "d", loop)[1])  # continues as new: the event is not carried over
    store.apply(_episode(store, "d", loop)[1])
    assert output(store, "d") == ("Running", None)  # the extension's default (no preserveUnprocessedEvents)


def test_an_episode_committed_while_suspended_leaves_the_instance_suspended(store):
    from quickfunc.host.durable.control import resume, suspend

    def wait(context):
        value = yield context.wait_for_external_event("Go")
        return value

    store.create("s", "wait", None)
    _, plan = _episode(store, "s", wait)
    assert suspend(store, "s", "pause") == 202
    store.apply(plan)
    assert store.get("s").status == "Suspended"
    assert resume(store, "s", "go") == 202 and store.get("s").status == "Running"
    assert suspend(store, "nobody", "x") == 404


def test_a_start_that_replaces_a_running_instance_drops_the_old_episode_and_work(store):
    def orch(context):
        value = yield context.call_activity("noop", context.get_input())
        return value

    store.create("r", "orch", "1")
    stale_episode, stale = _episode(store, "r", orch)
    assert not store.create("r", "orch", "2")  # NonRunningStates: refused while it runs
    assert store.create("r", "orch", "2", replace_running=True)
    assert not store.apply(stale)  # the plan of the replaced instance is not applied
    run_all(store, {"orch": orch}, {"noop": lambda n: n * 10})
    assert output(store, "r") == ("Completed", 20)
