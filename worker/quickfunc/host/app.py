"""The local host's lifecycle: startup (workers, routes, timers, banner) → serve until Ctrl-C or
SIGTERM → shutdown (drain in-flight work, WorkerTerminate, exit)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from quickfunc.host.app_banner import show_banner, timer_schedules
from quickfunc.host.auth import KeyRing
from quickfunc.host.blob_service import BlobTriggerService
from quickfunc.host.catalog import Catalog, FunctionSpec
from quickfunc.host.config import HostConfig, HostOptions
from quickfunc.host.http_front import HttpFront
from quickfunc.host.invocations import timer_inputs
from quickfunc.host.invoker import Invoker, Outcome
from quickfunc.host.output import Console
from quickfunc.host.pool import StartupError, WorkerPool
from quickfunc.host.queue_service import QueueService
from quickfunc.host.retries import policy_of, run_with_retries
from quickfunc.host.timers import Schedule, TimerService

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from quickfunc.host.durable.service import DurableService
    from quickfunc.host.reload import Reloader
    from quickfunc.host.storage.resolve import StorageConnections
    from quickfunc.protos import pb

__all__ = ["LocalHost"]


class LocalHost:
    """One running app: its worker pool, HTTP front and timers."""

    def __init__(self, config: HostConfig, console: Console, options: HostOptions | None = None) -> None:
        self.config = config
        self.console = console
        #: the command line, for reading the settings files again on a reload
        self.options = options
        self.invoker: Invoker | None = None
        self.pool = self.new_pool(config)
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
        self.reloader: Reloader | None = None
        #: previous workers finishing their work after a reload (reload.py)
        self._retiring: set[asyncio.Task] = set()
        self._switching = asyncio.Lock()
        self._stopping = False
        self._storage_key: tuple = ()

    def new_pool(self, config: HostConfig) -> WorkerPool:
        """Worker processes for the app (at start, and for each reload)."""
        return WorkerPool(
            config,
            on_log=lambda s, log: self._invoker().on_log(s, log),
            on_output=lambda s, line: self._invoker().on_output(s, line),
            on_event=lambda level, text: self._invoker().on_event(level, text),
        )

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
        self.storage = await self._open_storage(catalog, config)
        self._storage_key = _storage_key(catalog, config)
        self._storage_services(config, self.storage)
        self.keys = KeyRing.from_settings(config.keys) if config.enable_auth else None
        self.front = HttpFront(config, catalog or Catalog("", []), self._invoker(), self.pool, self.console, self.keys)
        self.base_url = await self.front.start()
        if catalog is None:
            self.pool.on_started = self._app_started
            self.console.error("The app is not running yet; requests get 503 until a worker starts it.")
            for text in self.storage.banner_lines():
                self.console.line(text)
            self.console.line(f"Listening on {self.front.listening} (Ctrl-C to stop)")
            return
        self._start_durable(catalog, strict=True)  # a wrong host.json durableTask stops the start
        self._serve(catalog)

    def _storage_services(self, config: HostConfig, storage: StorageConnections) -> None:
        """Blob bindings, queue outputs and the storage triggers' services (not started yet)."""
        from quickfunc.host.blob_bindings import BlobBindings

        self._invoker().blobs = BlobBindings(storage, config.settings)
        self.queues = QueueService(config, storage, self._invoker(), self.console)
        self.blob_triggers = BlobTriggerService(config, storage, self._invoker(), self.console)

    async def _open_storage(self, catalog: Catalog | None, config: HostConfig) -> StorageConnections:
        """Resolve AzureWebJobsStorage and every connection a storage binding names, once."""
        from quickfunc.host.storage.resolve import StorageConfigError, connection_names, resolve_connections

        bindings = _bindings(catalog)
        names = connection_names(bindings)
        used = {name.lower() for name in connection_names(bindings, default=False)}
        unused = [name for name in names if name.lower() not in used]
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
        self.durable.use_keys(self.keys)  # under --enable-auth the API needs its system key
        self.durable.attach(catalog, self.base_url)  # served from the first request on
        self.front.durable = self.durable.api
        self._invoker().extra_inputs = self.durable.add_inputs
        self._durable_start = asyncio.ensure_future(self.durable.start(catalog, self.base_url))

    def _app_started(self, catalog: Catalog) -> None:
        assert self.front is not None
        self.front.install(catalog)
        self._serve(catalog)

    # ---- reload on change (reload.py) -----------------------------------------------------------

    def watch(self) -> None:
        """Watch the app's files (unless --no-watch); reloads begin once it has started."""
        if self.config.dev.watch and self.reloader is None:
            from quickfunc.host.reload import Reloader

            self.reloader = Reloader(self.config, self.options, self.console, self.new_pool, self.switch, self._hold)
            self.reloader.start()

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        """New requests wait (bounded) while a reload is under way, to be answered by its code."""
        if self.front is not None:
            self.front.open.clear()
        try:
            yield
        finally:
            if self.front is not None:
                self.front.open.set()

    async def switch(self, config: HostConfig, pool: WorkerPool, catalog: Catalog) -> None:
        """Serve a reloaded app: requests, timers and listeners go to its new workers from now on;
        the previous workers finish what they run (up to the drain timeout), then stop.
        Raises StartupError (before changing anything) for a storage connection it cannot open."""
        storage, key = self.storage, _storage_key(catalog, config)
        if storage is None or key != self._storage_key:
            storage = await self._open_storage(catalog, config)
        assert self.front is not None
        old_pool, old_storage, old_timers = self.pool, self.storage, self.timers
        old_listeners = [s for s in (self.queues, self.blob_triggers) if s is not None]
        if config.keys != self.config.keys or (self.keys is None) == config.enable_auth:
            self.keys = KeyRing.from_settings(config.keys) if config.enable_auth else None
        old_pool.on_started = None  # a start-up still being retried there must not serve the old code
        self.config, self.pool, self.storage, self._storage_key = config, pool, storage, key
        self._invoker().use(pool, config, self.catalog, catalog)
        self._storage_services(config, storage)
        self.front.replace(catalog, pool, config, self.keys)
        self.timers = TimerService(self._fire_timer)
        self.catalog = catalog
        timers = self._timers(catalog)
        self._banner(catalog, self.keys, timers)
        self.timers.start(timers)
        new_listeners = [s for s in (self.queues, self.blob_triggers) if s is not None]
        closing = old_storage if old_storage is not storage else None
        retire = self._retire(old_pool, old_timers, (old_listeners, new_listeners), catalog, closing)
        task = asyncio.create_task(retire, name="retire-workers")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire(
        self,
        pool: WorkerPool,
        timers: TimerService,
        listeners: tuple[list[QueueService | BlobTriggerService], list[QueueService | BlobTriggerService]],
        catalog: Catalog,
        storage: StorageConnections | None,
    ) -> None:
        """Stop the previous listeners, then start the new ones (unless a later reload or the
        shutdown came first); let the previous workers finish their invocations until the drain
        timeout; stop them."""
        deadline = time.monotonic() + self.config.drain_timeout
        old, new = listeners
        async with self._switching:  # the listeners of one app at a time, in order
            for service in old:
                await service.stop(deadline)
            if not self._stopping and new and self.queues is new[0]:
                for service in new:
                    service.start(catalog)
        await timers.stop(deadline - time.monotonic())
        invoker = self._invoker()
        for _ in range(int(self.config.drain_timeout / 0.05) + 1):
            if not (pool.outstanding or invoker.busy(pool)) or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        if pool.outstanding or invoker.busy(pool):
            self.console.warning(
                f"{max(pool.outstanding, invoker.busy(pool))} invocation(s) on the previous workers did not "
                f"finish within the drain timeout ({self.config.drain_timeout:g}s); stopping them"
            )
        invoker.forget(pool)  # from now on the new workers take what was routed to these
        await pool.stop()
        if storage is not None:
            await storage.close()

    def _timers(self, catalog: Catalog) -> list[tuple[FunctionSpec, Schedule, bool]]:
        return timer_schedules(catalog, self.config)

    def _banner(
        self,
        catalog: Catalog,
        keys: KeyRing | None,
        timers: list[tuple[FunctionSpec, Schedule, bool]],
    ) -> None:
        assert self.front is not None
        show_banner(self, self.front, catalog, keys, timers)

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
        self._stopping = True
        if self.reloader is not None:
            await self.reloader.stop()
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
        await asyncio.gather(*self._retiring, return_exceptions=True)  # bounded by the drain timeout
        await self.pool.stop()
        shared_memory = self._invoker().shared_memory
        if shared_memory is not None:  # maps of invocations cut short
            shared_memory.remove_all()
        if self.storage is not None:
            await self.storage.close()
        self.console.info("Stopped: workers terminated")

    async def force_stop(self) -> None:
        """A second Ctrl-C: kill the workers now; in-flight requests get their 500 at once."""
        self.console.warning("Stopping now: killing the worker processes")
        await self.pool.kill_all()


def _bindings(catalog: Catalog | None) -> list:
    return [b for spec in (catalog.functions if catalog else []) for b in spec.bindings]


def _storage_key(catalog: Catalog | None, config: HostConfig) -> tuple:
    """What the storage connections were opened for: a reload reuses them while it is the same."""
    from quickfunc.host.storage.resolve import connection_names

    names = tuple(connection_names(_bindings(catalog)))
    return names, tuple(sorted(config.settings.items())), config.storage_mode
