"""The local host's lifecycle: startup (workers, routes, timers, banner) → serve until Ctrl-C or
SIGTERM → shutdown (drain in-flight work, WorkerTerminate, exit)."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING

from quickfunc.host.app_folder import no_functions_note
from quickfunc.host.auth import KeyRing
from quickfunc.host.blob_service import BlobTriggerService
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import SETTING_SCRIPT_FILE, HostConfig, script_file
from quickfunc.host.http_front import HttpFront
from quickfunc.host.invocations import timer_inputs
from quickfunc.host.invoker import Invoker, Outcome
from quickfunc.host.output import Console, FunctionLine
from quickfunc.host.pool import StartupError, WorkerPool
from quickfunc.host.queue_service import QueueService
from quickfunc.host.retries import policy_of, run_with_retries
from quickfunc.host.timers import Schedule, ScheduleError, TimerService, parse_schedule
from quickfunc.host.unserved_bindings import unserved_notes

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from quickfunc.host.durable.service import DurableService
    from quickfunc.host.storage.resolve import StorageConnections
    from quickfunc.protos import pb

__all__ = ["LocalHost", "run_host", "run"]

#: what the banner says of the functions the durable engine runs
_DURABLE_DETAIL = {
    "orchestrationtrigger": "durable (started by a durable client)",
    "activitytrigger": "durable (called by orchestrators)",
    "entitytrigger": "durable entity (signalled or called)",
}


class LocalHost:
    """One running app: its worker pool, HTTP front and timers."""

    def __init__(self, config: HostConfig, console: Console) -> None:
        self.config = config
        self.console = console
        self.invoker: Invoker | None = None
        self.pool = WorkerPool(
            config,
            on_log=lambda s, log: self._invoker().on_log(s, log),
            on_output=lambda s, line: self._invoker().on_output(s, line),
            on_event=lambda level, text: self._invoker().on_event(level, text),
        )
        self.invoker = Invoker(self.pool, console, config)
        self.catalog: Catalog | None = None
        self.front: HttpFront | None = None
        self.keys: KeyRing | None = None
        self.timers = TimerService(self._fire_timer)
        self.base_url = ""
        self.storage: StorageConnections | None = None
        self.queues: QueueService | None = None
        self.blob_triggers: BlobTriggerService | None = None
        self.durable: DurableService | None = None
        self._durable_start: asyncio.Future[None] | None = None

    def _invoker(self) -> Invoker:
        assert self.invoker is not None
        return self.invoker

    # ---- startup -------------------------------------------------------------------------------

    async def startup(self) -> None:
        config = self.config
        if config.dev.debug_wait:
            self.console.info(config.dev.waiting_line(config.process_count))
        known: list[str] = []
        try:
            catalog = await self.pool.start()  # None: the app killed its worker; the pool retries
            known = [spec.error for spec in catalog.functions] if catalog else []
        except StartupError as exc:
            known = [str(exc), exc.worker_message]  # run_host prints it
            raise
        finally:
            self._invoker().errors.release(known)  # the banner shows the functions' errors
        self.storage = await self._open_storage(catalog)
        from quickfunc.host.blob_bindings import BlobBindings

        self._invoker().blobs = BlobBindings(self.storage, config.settings)
        self.queues = QueueService(config, self.storage, self._invoker(), self.console)
        self.blob_triggers = BlobTriggerService(config, self.storage, self._invoker(), self.console)
        self.keys = KeyRing.from_settings(config.keys) if config.enable_auth else None
        self.front = HttpFront(config, catalog or Catalog("", []), self._invoker(), self.pool, self.console, self.keys)
        self.base_url = await self.front.start()
        if catalog is None:
            self.pool.on_started = self._app_started
            self.console.error("The app is not running yet; requests get 503 until a worker starts it.")
            for text in self.storage.banner_lines():
                self.console.line(text)
            self.console.line(f"Listening on {self.base_url} (Ctrl-C to stop)")
            return
        self._start_durable(catalog, strict=True)  # a wrong host.json durableTask stops the start
        self._serve(catalog)

    async def _open_storage(self, catalog: Catalog | None) -> StorageConnections:
        """Resolve AzureWebJobsStorage and every connection a storage binding names, once."""
        from quickfunc.host.storage.resolve import StorageConfigError, connection_names, resolve_connections

        bindings = [b for spec in (catalog.functions if catalog else []) for b in spec.bindings]
        names = connection_names(bindings)
        used = {name.lower() for name in connection_names(bindings, default=False)}
        unused = [name for name in names if name.lower() not in used]
        config = self.config
        try:
            return await resolve_connections(config.app_dir, config.settings, names, config.storage_mode, unused)
        except StorageConfigError as exc:
            raise StartupError(str(exc)) from None

    def _serve(self, catalog: Catalog) -> None:
        """Routes are known: show the banner and start the timers."""
        self.catalog = catalog
        if self.durable is None:
            self._start_durable(catalog)
        timers = self._timers(catalog)
        if self.queues is not None:
            self.queues.start(catalog)
        if self.blob_triggers is not None:
            self.blob_triggers.start(catalog)
        self._banner(catalog, self.keys, timers)
        self.timers.start(timers)

    def _start_durable(self, catalog: Catalog, strict: bool = False) -> None:
        """Run the app's durable functions on the embedded engine; a host.json error in
        extensions.durableTask raises StartupError (``strict``) or is shown."""
        from quickfunc.host.durable.service import DurableService, uses_durable
        from quickfunc.host.jsonfile import SettingsFileError

        if not uses_durable(catalog) or self.front is None:
            return
        try:
            self.durable = DurableService(self.config, self._invoker(), self.console)
        except SettingsFileError as exc:
            if strict:
                raise StartupError(str(exc)) from None
            self.console.error(f"Durable Functions are not served: {exc}")
            return
        self.durable.attach(catalog, self.base_url)  # served from the first request on
        self.front.durable = self.durable.api
        self._invoker().extra_inputs = self.durable.add_inputs
        self._durable_start = asyncio.ensure_future(self.durable.start(catalog, self.base_url))

    def _app_started(self, catalog: Catalog) -> None:
        assert self.front is not None
        self.front.install(catalog)
        self._serve(catalog)

    def _timers(self, catalog: Catalog) -> list[tuple[FunctionSpec, Schedule, bool]]:
        timers = []
        for spec in catalog.functions:
            trigger = spec.trigger
            if not spec.is_timer or trigger is None or spec.disabled or not spec.runnable:
                continue
            try:
                schedule = parse_schedule(
                    str(trigger.get("schedule") or ""), self.config.settings, self.config.time_zone
                )
            except ScheduleError as exc:
                spec.error = str(exc)
                continue
            run_on_startup = str(trigger.get("runOnStartup", False)).lower() == "true"
            timers.append((spec, schedule, run_on_startup))
        return timers

    def _banner(
        self,
        catalog: Catalog,
        keys: KeyRing | None,
        timers: list[tuple[FunctionSpec, Schedule, bool]],
    ) -> None:
        assert self.front is not None
        schedules = {spec.name: (schedule, startup) for spec, schedule, startup in timers}
        from quickfunc.host.deferred_bindings import deferred_notes

        lines = []
        for spec in catalog.functions:
            notes = unserved_notes(spec) + deferred_notes(spec, self.storage)
            if spec.unserved:  # Durable Functions
                notes = [f"not served: {spec.unserved}" if spec.is_http else spec.unserved]
            if spec.disabled:
                detail = "(disabled)"
            elif spec.is_http:
                detail = f"[{self.front.methods_for(spec)}] {self.front.url_for(spec)}"
            elif spec.name in schedules:
                schedule, startup = schedules[spec.name]
                detail = f"schedule {schedule.text}" + (", runOnStartup" if startup else "")
            elif spec.unserved:
                detail = "not served"
            elif spec.trigger_type.lower() in _DURABLE_DETAIL:
                detail = _DURABLE_DETAIL[spec.trigger_type.lower()]
            else:
                detail = f'POST {self.base_url}/admin/functions/{spec.name} {{"input": ...}}'
            trigger = spec.trigger_type.replace("Trigger", "") or "no trigger"
            lines.append(FunctionLine(spec.name, trigger, detail, spec.error, notes))
        for name in catalog.skipped:
            lines.append(FunctionLine(name, "skipped", "not loaded (not named in --functions)"))
        shown_keys = {}
        if keys is not None:
            shown_keys = {"master key (admin)": keys.master_key, "host key": keys.host_key}
            for name in keys.function_keys:
                shown_keys[f"{name} key"] = "(from FUNCTIONS_KEY_" + name.upper() + ")"
        version = next((s.runtime_version for s in self.pool.slots if s.runtime_version), "?")
        self.console.banner(
            self.config.app_dir,
            catalog.programming_model,
            self.config.python,
            version,
            self.pool.pids,
            lines,
            shown_keys,
            self.base_url,
            [
                *(self.storage.banner_lines() if self.storage else []),
                *([self.durable.banner_line()] if self.durable else []),
                *self.config.dev.debug_lines(len(self.pool.slots)),
            ],
            []
            if lines
            else no_functions_note(self.config.app_dir, script_file(self.config.settings), SETTING_SCRIPT_FILE),
        )

    async def _fire_timer(self, spec: FunctionSpec, payload: str, reason: str) -> None:
        def attempt(retry: pb.RetryContext | None) -> Awaitable[Outcome]:
            inputs = timer_inputs(spec, payload)
            inputs.retry = retry
            shown = reason if retry is None or not retry.retry_count else f"{reason}, retry {retry.retry_count}"
            return self._invoker().run_reported(spec, inputs, shown)

        try:
            policy = policy_of(spec.metadata, spec.trigger_type)
            await run_with_retries(
                attempt, policy, self.timers.stopping, lambda text: self.console.info(f"{spec.name}: failed; {text}")
            )
        except Exception as exc:  # keep the timer going; say what went wrong
            self.console.error(f"timer {spec.name} could not fire: {exc!r}")

    # ---- shutdown ------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Stop taking work, drain what is running (bounded), terminate the workers."""
        deadline = time.monotonic() + self.config.drain_timeout
        busy = self._invoker().in_flight
        if busy:
            self.console.info(
                f"Stopping: waiting for {busy} running invocation(s) (up to {self.config.drain_timeout:g}s)"
            )
        else:
            self.console.info("Stopping")
        if self.queues is not None:  # no new messages; running ones drain below
            await self.queues.stop(deadline)
        if self.blob_triggers is not None:
            await self.blob_triggers.stop(deadline)
        if self.front is not None:
            await self.front.stop()
        if self.durable is not None:  # what did not finish stays in the store for the next start
            await self.durable.stop()
        await self.timers.stop(deadline - time.monotonic())
        if not await self._invoker().wait_idle(deadline - time.monotonic()):
            self.console.warning("Some invocations did not finish in time; stopping anyway")
        await self.pool.stop()
        if self.storage is not None:
            await self.storage.close()
        self.console.info("Stopped: workers terminated")

    async def force_stop(self) -> None:
        """A second Ctrl-C: kill the workers now; in-flight requests get their 500 at once."""
        self.console.warning("Stopping now: killing the worker processes")
        await self.pool.kill_all()


async def run_host(config: HostConfig, console: Console) -> int:
    """Start, serve until a signal, shut down; return the exit code."""
    loop = asyncio.get_running_loop()
    host = LocalHost(config, console)
    stop = asyncio.Event()
    signals_seen = 0

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            stop.set()
        else:
            loop.create_task(host.force_stop())

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass
    try:
        starting = asyncio.ensure_future(host.startup())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await host.shutdown()
            return 0
        try:
            starting.result()
        except (StartupError, OSError, asyncio.TimeoutError) as exc:
            console.error(f"error: {exc}")
            stopping.cancel()
            await host.shutdown()
            return 1
        await stopping
        await host.shutdown()
        return 0
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(config: HostConfig) -> int:
    console = Console(color=config.color)
    try:
        return asyncio.run(run_host(config, console))
    except KeyboardInterrupt:
        return 130
    finally:
        console.close()
