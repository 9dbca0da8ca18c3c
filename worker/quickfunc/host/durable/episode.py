"""One orchestrator episode, as plain data: the context the orchestration trigger gets (history so
far + the new events), and the Plan made from the orchestrator state it returns (new actions become
work with task ids numbered as the Python library numbers them; retries; completion; failure)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from quickfunc.host.durable.history import Ev, Status, event, now_text
from quickfunc.host.durable.store import Instance, NewInstance, Notice, Plan, Work

__all__ = ["Episode", "begin", "finish", "fail", "OUT_OF_PROC_MARK", "HTTP_ACTIVITY"]

#: what separates an orchestrator's error message from its state in the failure it raises
OUT_OF_PROC_MARK = "$OutOfProcData$:"

# action types (the library's ActionType)
_ACTIVITY, _ACTIVITY_RETRY, _SUB, _SUB_RETRY, _CONTINUE, _TIMER, _WAIT = 0, 1, 2, 3, 4, 5, 6
_CALL_ENTITY, _CALL_HTTP, _SIGNAL_ENTITY = 7, 8, 9
#: the activity name the extension records a durable HTTP call under
HTTP_ACTIVITY = "BuiltIn::HttpActivity"


@dataclass
class Episode:
    """The new events of one episode and what was decided while reading them."""

    instance: Instance
    consumed: list[int]
    old: list[dict[str, Any]]
    new: list[dict[str, Any]]
    next_id: int
    work: list[Work] = field(default_factory=list)
    children: list[NewInstance] = field(default_factory=list)
    #: operations sent to entities (sent even if the orchestration ends in this episode)
    entity_ops: list[Notice] = field(default_factory=list)

    def context(self) -> str:
        """The orchestrationTrigger's JSON (replay schema V1: actions as a list of lists)."""
        history = [{**e, "IsPlayed": True} for e in self.old] + self.new
        return json.dumps(
            {
                "history": history,
                "input": self.instance.input,
                "instanceId": self.instance.id,
                "isReplaying": bool(self.old),
                "parentInstanceId": self.instance.parent,
                "upperSchemaVersion": 0,
            }
        )


def _retry_meta(action: dict[str, Any], kind: str, name: str, input_text: str | None) -> dict[str, Any]:
    options = action.get("retryOptions") or {}
    return {
        "retry": {
            "kind": kind,
            "name": name,
            "input": input_text,
            "attempt": 1,
            "max": int(options.get("maxNumberOfAttempts") or 1),
            "interval_ms": int(options.get("firstRetryIntervalInMilliseconds") or 0),
        }
    }


def _child_id(instance: Instance, task_id: int, attempt: int) -> str:
    return f"{instance.id}:{task_id}" + (f":{attempt}" if attempt > 1 else "")


def begin(
    instance: Instance, history: list[dict[str, Any]], inbox: list[tuple[int, dict[str, Any], dict[str, Any]]]
) -> Episode:
    """Read the waiting events in order; a retried task's failure and its retry timer take task
    ids here, where the library takes them during replay."""
    stamp = now_text()
    # a new generation (continue-as-new) starts with its ExecutionStarted, then the events that
    # arrived while the previous one ran (they are kept, as the extension keeps undelivered ones)
    inbox = sorted(inbox, key=lambda item: item[1]["EventType"] != Ev.EXECUTION_STARTED)
    episode = Episode(
        instance, [seq for seq, _, _ in inbox], history, [event(Ev.ORCHESTRATOR_STARTED, stamp)], instance.next_id
    )
    for _, ev, meta in inbox:
        if ev["EventType"] == Ev.EXECUTION_STARTED:
            ev = {**ev, "Name": instance.name, "Input": instance.input}
        episode.new.append(ev)
        retry = meta.get("retry")
        if retry is None:
            continue
        if ev["EventType"] in (Ev.TASK_FAILED, Ev.SUB_FAILED):
            timer_id = episode.next_id
            episode.next_id += 1
            due = time.time() + retry["interval_ms"] / 1000
            episode.work.append(Work("timer", timer_id, "", None, due, {"retry": retry}))
            episode.new.append(event(Ev.TIMER_CREATED, stamp, timer_id, FireAt=now_text(due)))
        elif ev["EventType"] == Ev.TIMER_FIRED and retry["attempt"] < retry["max"]:
            task_id = episode.next_id
            episode.next_id += 1
            again = {"retry": {**retry, "attempt": retry["attempt"] + 1}}
            _schedule(
                episode, retry["kind"], task_id, retry["name"], retry["input"], again, stamp, retry.get("instance_id")
            )
    return episode


def _schedule(
    episode: Episode,
    kind: str,
    task_id: int,
    name: str,
    input_text: str | None,
    meta: dict[str, Any],
    stamp: str,
    instance_id: str | None = None,
) -> None:
    if kind == "activity":
        episode.work.append(Work("activity", task_id, name, input_text, 0.0, meta))
        episode.new.append(event(Ev.TASK_SCHEDULED, stamp, task_id, Name=name, Input=input_text))
        return
    attempt = meta.get("retry", {}).get("attempt", 1)
    child = instance_id or _child_id(episode.instance, task_id, attempt)
    if instance_id and attempt > 1:
        child = f"{instance_id}:{attempt}"
    episode.children.append(NewInstance(child, name, input_text, episode.instance.id, task_id, meta or None))
    episode.new.append(event(Ev.SUB_CREATED, stamp, task_id, Name=name, Input=input_text, InstanceId=child))


def _to_entity(episode: Episode, action: dict[str, Any], task_id: int, signal: bool, stamp: str) -> None:
    """call_entity / signal_entity: an operation for the entity's queue; a call's reply comes back
    as an event named by the request id (what the library waits for after the EventSent)."""
    guid = str(uuid.uuid4())
    target = str(action.get("instanceId") or "")
    operation = str(action.get("operation") or "")
    op = {
        "op": operation,
        "input": action.get("input"),
        "signal": signal,
        "guid": guid,
        "reply_to": None if signal else episode.instance.id,
    }
    episode.entity_ops.append(Notice(target, op, entity=True))
    sent = json.dumps({"id": guid, "op": operation, "signal": signal})
    episode.new.append(event(Ev.EVENT_SENT, stamp, task_id, Name=operation, InstanceId=target, Input=sent))


def _fire_at(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _flat(actions: Any) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for group in actions or []:
        for action in group if isinstance(group, list) else [group]:
            if isinstance(action, dict) and action.get("actionType") in (11, 12):  # a V2 compound
                flat.extend(_flat([action.get("compoundActions") or []]))
            elif isinstance(action, dict):
                flat.append(action)
    return flat


def _plan(episode: Episode, status: str, **extra: Any) -> Plan:
    return Plan(
        episode.instance.id,
        episode.consumed,
        episode.new,
        status,
        episode.next_id,
        episode.instance.actions_done,
        work=episode.work,
        children=episode.children,
        notices=list(episode.entity_ops),
        created=episode.instance.created,
        **extra,
    )


def finish(episode: Episode, state: dict[str, Any]) -> Plan:
    """The Plan for the orchestrator state the episode returned."""
    stamp = episode.new[0]["Timestamp"]
    actions = _flat(state.get("actions"))
    custom = state.get("customStatus")
    custom_text = json.dumps(custom) if custom is not None else None
    restart: str | None = None
    restarting = False
    for action in actions[episode.instance.actions_done :]:
        kind = action.get("actionType")
        if kind == _WAIT:
            continue
        task_id = episode.next_id
        episode.next_id += 1
        name = str(action.get("functionName") or "")
        input_text = action.get("input")
        if kind in (_ACTIVITY, _ACTIVITY_RETRY):
            meta = _retry_meta(action, "activity", name, input_text) if kind == _ACTIVITY_RETRY else {}
            _schedule(episode, "activity", task_id, name, input_text, meta, stamp)
        elif kind in (_SUB, _SUB_RETRY):
            meta = _retry_meta(action, "sub", name, input_text) if kind == _SUB_RETRY else {}
            if meta and action.get("instanceId"):
                meta["retry"]["instance_id"] = action["instanceId"]
            _schedule(episode, "sub", task_id, name, input_text, meta, stamp, action.get("instanceId"))
        elif kind == _CALL_HTTP:
            request_text = json.dumps(action.get("httpRequest") or {})
            episode.work.append(Work("http", task_id, HTTP_ACTIVITY, request_text, 0.0))
            episode.new.append(event(Ev.TASK_SCHEDULED, stamp, task_id, Name=HTTP_ACTIVITY, Input=request_text))
        elif kind == _TIMER:
            due = _fire_at(str(action.get("fireAt")))
            episode.work.append(Work("timer", task_id, "", None, due))
            episode.new.append(event(Ev.TIMER_CREATED, stamp, task_id, FireAt=action.get("fireAt")))
        elif kind in (_CALL_ENTITY, _SIGNAL_ENTITY):
            _to_entity(episode, action, task_id, kind == _SIGNAL_ENTITY, stamp)
        elif kind == _CONTINUE:
            restarting, restart = True, input_text
    done_count = len(actions)
    episode.new.append(event(Ev.ORCHESTRATOR_COMPLETED, stamp))
    if restarting:
        plan = _plan(episode, Status.RUNNING, custom_status=custom_text, restart=True, restart_input=restart)
        plan.next_id, plan.actions_done, plan.work, plan.children = 0, 0, [], []
        return plan
    if not state.get("isDone"):
        plan = _plan(episode, Status.RUNNING, custom_status=custom_text)
        plan.actions_done = done_count
        return plan
    output = json.dumps(state.get("output"))
    episode.new.append(event(Ev.EXECUTION_COMPLETED, stamp, OrchestrationStatus="Completed", Result=output))
    plan = _plan(episode, Status.COMPLETED, output=output, custom_status=custom_text)
    plan.actions_done = done_count
    parent = episode.instance
    if parent.parent:
        plan.notices.append(
            Notice(
                parent.parent,
                event(Ev.SUB_COMPLETED, TaskScheduledId=parent.parent_task, Result=output),
                _parent_meta(parent),
            )
        )
    plan.work, plan.children = [], []  # nothing more runs for an instance that ended
    return plan


def _parent_meta(instance: Instance) -> dict[str, Any]:
    return json.loads(instance.parent_meta) if instance.parent_meta else {}


def fail(episode: Episode, message: str, details: str = "", custom_status: str | None = None) -> Plan:
    """The Plan for an orchestrator that raised (or asked for what is not supported); the custom
    status stays what the orchestrator last set, as the extension keeps it."""
    stamp = episode.new[0]["Timestamp"]
    text = f"Orchestrator function '{episode.instance.name}' failed: {message}"
    episode.new.append(event(Ev.ORCHESTRATOR_COMPLETED, stamp))
    episode.new.append(
        event(Ev.EXECUTION_FAILED, stamp, OrchestrationStatus="Failed", Reason=text, Details=details or None)
    )
    kept = episode.instance.custom_status if custom_status is None else custom_status
    plan = _plan(episode, Status.FAILED, output=json.dumps(text), custom_status=kept)
    plan.work, plan.children = [], []
    instance = episode.instance
    if instance.parent:
        plan.notices.append(
            Notice(
                instance.parent,
                event(Ev.SUB_FAILED, TaskScheduledId=instance.parent_task, Reason=text, Details=details or None),
                _parent_meta(instance),
            )
        )
    return plan


def failure_state(message: str) -> tuple[str, dict[str, Any] | None]:
    """Split an orchestrator failure message into the user's message and the state it carries."""
    if OUT_OF_PROC_MARK not in message:
        return message, None
    head, _, tail = message.partition(OUT_OF_PROC_MARK)
    try:
        state = json.loads(tail.strip())
    except ValueError:
        return message, None
    error = state.get("error") if isinstance(state, dict) else None
    return str(error or head.strip()), state if isinstance(state, dict) else None
