"""The local orchestration engine: runs orchestrator episodes (replay from history), activities
and durable timers through the host's invoker, bounded by host.json's concurrency limits; all
state goes through DurableStore first, so work left by a killed host is picked up at start."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.durable.entities import EntityRunner
from quickfunc.host.durable.episode import Episode, begin, fail, failure_state, finish
from quickfunc.host.durable.history import FINAL, Ev, Status, event, now_text
from quickfunc.host.durable.options import DurableOptions
from quickfunc.host.durable.store import DurableStore, Instance, Plan, Work
from quickfunc.host.invocations import Inputs
from quickfunc.host.invoker import Invoker
from quickfunc.host.output import Console
from quickfunc.protos import pb

__all__ = ["DurableEngine", "ORCHESTRATOR", "ACTIVITY"]

ORCHESTRATOR = "orchestrationtrigger"
ACTIVITY = "activitytrigger"
#: how long to wait before trying again when no worker could take an invocation
_NO_WORKER_PAUSE = 1.0
#: how many times an episode is run again after its worker died or timed out, before the instance fails
_HOST_ERROR_TRIES = 3
T = TypeVar("T")


def _kind(spec: FunctionSpec) -> str:
    return spec.trigger_type.lower()


class DurableEngine:
    """Instances of one app's task hub, in the app's embedded store."""

    def __init__(self, store_file: str, options: DurableOptions, invoker: Invoker, console: Console) -> None:
        self.options = options
        self.invoker = invoker
        self.console = console
        self.catalog = Catalog("", [])
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quickfunc-durable")
        self._store_file = store_file
        self._store: DurableStore | None = None
        self._orchestrators = asyncio.Semaphore(options.max_orchestrators)
        self.activity_slots = asyncio.Semaphore(options.max_activities)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._host_errors: dict[str, int] = {}
        #: work rows handed to a task already (start-up reads them while new ones are made)
        self._dispatched: set[int] = set()
        self.entities = EntityRunner(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        #: called with (instance id, status) after every committed change of status (tests, API)
        self.on_change: Callable[[str, str], None] | None = None

    # ---- plumbing ------------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store call on the store's own thread (opened there the first time)."""

        def run() -> T:
            if self._store is None:
                self._store = DurableStore(self._store_file)
            return fn(self._store, *args)

        return await asyncio.get_running_loop().run_in_executor(self._thread, run)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def functions(self, kind: str) -> list[FunctionSpec]:
        return [spec for spec in self.catalog.functions if _kind(spec) == kind]

    def find(self, name: str, kind: str) -> FunctionSpec | None:
        spec = self.catalog.get(name)
        return spec if spec is not None and _kind(spec) == kind else None

    # ---- start and stop ------------------------------------------------------------------------

    async def start(self, catalog: Catalog) -> None:
        """Serve ``catalog``'s durable functions; pick up what a previous run left."""
        self.catalog = catalog
        work = await self.call(DurableStore.all_work)
        for item in work:
            self._dispatch(item)
        for instance_id in await self.call(DurableStore.waiting_instances):
            self.kick(instance_id)
        if work:
            self.console.info(f"Durable Functions: resumed {len(work)} pending activity/timer task(s)")

    async def stop(self) -> None:
        """Stop taking work; what did not finish stays in the store for the next start."""
        self._stopping = True
        tasks = list(self._tasks) + list(self._running.values()) + self.entities.tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._store is not None:
            await self.call(DurableStore.close)
        self._thread.shutdown(wait=False)

    # ---- orchestrations ------------------------------------------------------------------------

    async def start_instance(self, name: str, instance_id: str, input_text: str | None) -> bool:
        """Create an instance (False: one with that id is still running) and run it."""
        if not await self.call(DurableStore.create, instance_id, name, input_text, self.options.replace_running):
            return False
        self._changed(instance_id, name, "Pending")
        self.kick(instance_id)
        return True

    async def terminate(self, instance_id: str, reason: str) -> int:
        """202 terminated (its pending work is dropped), 404 unknown, 410 it had ended."""
        code = await self.call(DurableStore.terminate, instance_id, reason)
        if code == 202:
            instance = await self.call(DurableStore.get, instance_id)
            self._changed(instance_id, instance.name if instance else "?", "Terminated")
        return code

    async def after_control(self, instance_id: str, operation: str) -> None:
        """Say that an instance was suspended or resumed; a resumed one handles what waited."""
        instance = await self.call(DurableStore.get, instance_id)
        self._changed(instance_id, instance.name if instance else "?", instance.status if instance else operation)
        if operation == "resume":
            self.kick(instance_id)

    def kick(self, instance_id: str) -> None:
        """The instance has new events: run an episode now, or once the running one ends."""
        if self._stopping:
            return
        if instance_id.startswith("@"):
            self.entities.kick(instance_id)
            return
        if instance_id in self._running:
            self._again.add(instance_id)
            return
        self._running[instance_id] = asyncio.ensure_future(self._episodes(instance_id))

    async def _episodes(self, instance_id: str) -> None:
        try:
            while True:
                self._again.discard(instance_id)
                try:
                    async with self._orchestrators:
                        await self._episode(instance_id)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug here must not stop the engine; say what happened
                    self.console.error(f"Durable Functions: instance {instance_id} could not run: {exc!r}")
                    return
                if instance_id not in self._again:
                    return
        finally:  # no await between the last check and this: a kick is never lost
            self._running.pop(instance_id, None)

    async def _episode(self, instance_id: str) -> None:
        instance = await self.call(DurableStore.get, instance_id)
        if instance is None or instance.status in FINAL or instance.status == Status.SUSPENDED:
            return  # a suspended instance's events wait in its inbox until it is resumed
        inbox = await self.call(DurableStore.inbox, instance_id)
        if not inbox:
            return
        history = await self.call(DurableStore.history, instance_id)
        episode = begin(instance, history, inbox)
        spec = self.find(instance.name, ORCHESTRATOR)
        plan: Plan | None
        if spec is None:
            plan = fail(episode, f"no orchestrator function named '{instance.name}' in this app")
        else:
            plan = await self._run_orchestrator(spec, episode)
            if plan is None:  # no worker took it: the events stay in the inbox
                await asyncio.sleep(_NO_WORKER_PAUSE)
                self._again.add(instance_id)
                return
        await self._commit(instance, plan)

    async def _run_orchestrator(self, spec: FunctionSpec, episode: Episode) -> Plan | None:
        trigger = spec.trigger
        assert trigger is not None
        inputs = Inputs(data={trigger.name: pb.TypedData(string=episode.context())})
        outcome = await self.invoker.invoke(spec, inputs)
        if outcome.unavailable:
            return None
        tries = self._host_errors.get(episode.instance.id, 0)
        if outcome.host_error and tries < _HOST_ERROR_TRIES:  # a worker died: replay again
            self._host_errors[episode.instance.id] = tries + 1
            return None
        self._host_errors.pop(episode.instance.id, None)
        if not outcome.ok:
            message, state = failure_state(outcome.error)
            stack = ""
            if outcome.response is not None:
                stack = outcome.response.result.exception.stack_trace
            custom = (state or {}).get("customStatus")
            return fail(episode, message, stack, None if custom is None else json.dumps(custom))
        value = outcome.output("$return")
        text = _text(value)
        try:
            state = json.loads(text) if text else None
        except ValueError:
            state = None
        if not isinstance(state, dict):
            return fail(episode, "the orchestrator did not return an orchestration state (is it a df.Orchestrator?)")
        return finish(episode, state)

    async def _commit(self, instance: Instance, plan: Plan) -> None:
        if not await self.call(DurableStore.apply, plan):
            return  # terminated or purged meanwhile
        if plan.status != instance.status or plan.restart:
            shown = "ContinuedAsNew" if plan.restart else plan.status
            self._changed(instance.id, instance.name, shown, plan.output if plan.status == "Failed" else None)
        for item in plan.work:
            self._dispatch(item)
        for child in plan.children:
            self._changed(child.id, child.name, "Pending")
            self.kick(child.id)
        for notice in plan.notices:
            self.kick(notice.instance)
        if plan.restart:
            self.kick(instance.id)

    def _changed(self, instance_id: str, name: str, status: str, detail: str | None = None) -> None:
        line = f"Orchestration {name} ({instance_id}): {status}"
        if detail:
            line += f": {json.loads(detail)}"
        (self.console.error if status == "Failed" else self.console.info)(line)
        if self.on_change is not None:
            self.on_change(instance_id, status)

    # ---- activities and timers -----------------------------------------------------------------

    def _dispatch(self, work: Work) -> None:
        if self._stopping or work.seq in self._dispatched:
            return
        self._dispatched.add(work.seq)
        if work.kind == "activity":
            self._spawn(self._activity(work))
        elif work.kind == "timer":
            self._spawn(self._timer(work))
        elif work.kind == "http":
            self._spawn(self._http(work))

    async def _activity(self, work: Work) -> None:
        spec = self.find(work.name, ACTIVITY)
        if spec is None:
            reason = f"The function '{work.name}' doesn't exist, is disabled, or is not an activity function."
            await self._done(work, event(Ev.TASK_FAILED, TaskScheduledId=work.task_id, Reason=reason, Details=None))
            return
        trigger = spec.trigger
        assert trigger is not None
        while True:
            async with self.activity_slots:
                inputs = Inputs(data={trigger.name: pb.TypedData(json=work.input or "null")})
                outcome = await self.invoker.invoke(spec, inputs)
            if not outcome.unavailable:
                break
            await asyncio.sleep(_NO_WORKER_PAUSE)
        if outcome.ok:
            result = _text(outcome.output("$return")) or "null"
            ev = event(Ev.TASK_COMPLETED, TaskScheduledId=work.task_id, Result=result)
        else:
            stack = outcome.response.result.exception.stack_trace if outcome.response is not None else ""
            reason = f"Activity function '{work.name}' failed: {outcome.error}"
            ev = event(Ev.TASK_FAILED, TaskScheduledId=work.task_id, Reason=reason, Details=stack or None)
        await self._done(work, ev)

    async def _http(self, work: Work) -> None:
        from quickfunc.host.durable.http_call import HttpCallError, perform

        try:
            result = await perform(work.input)
            ev = event(Ev.TASK_COMPLETED, TaskScheduledId=work.task_id, Result=result)
        except HttpCallError as exc:
            ev = event(Ev.TASK_FAILED, TaskScheduledId=work.task_id, Reason=f"call_http failed: {exc}", Details=None)
        await self._done(work, ev)

    async def _timer(self, work: Work) -> None:
        while (left := work.due - time.time()) > 0:
            await asyncio.sleep(min(left, 60.0))
        await self._done(work, event(Ev.TIMER_FIRED, TimerId=work.task_id, FireAt=now_text(work.due)))

    async def _done(self, work: Work, ev: dict[str, Any]) -> None:
        woke = await self.call(DurableStore.finish_work, work, ev, work.meta)
        self._dispatched.discard(work.seq)
        if woke:
            self.kick(work.instance)


def _text(value: pb.TypedData | None) -> str:
    """The text of a return value (json or string)."""
    if value is None:
        return ""
    kind = value.WhichOneof("data")
    if kind in ("json", "string"):
        return str(getattr(value, kind))
    if kind == "bytes":
        return value.bytes.decode("utf-8", "replace")
    return ""
