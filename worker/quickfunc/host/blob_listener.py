"""Blob triggers: one listener per blob-triggered function scans its container, runs each new or
changed blob (once per ETag, remembered in receipts in the store across restarts), retries a
failing version on later scans and poisons it after 5 failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from quickfunc.host.blob_trigger_data import BlobPattern, blob_inputs
from quickfunc.host.catalog import FunctionSpec
from quickfunc.host.invocations import Inputs
from quickfunc.host.output import Console
from quickfunc.host.queue_messages import encode_message
from quickfunc.host.storage.interface import BlobProperties, StorageBackend, StorageError

__all__ = ["BlobListener", "RECEIPTS", "POISON_QUEUE", "MAX_FAILURES", "Run"]

#: where receipts live, as the Functions host keeps them
RECEIPTS = "azure-webjobs-hosts"
#: where a blob version that failed MAX_FAILURES times is reported
POISON_QUEUE = "webjobs-blobtrigger-poison"
MAX_FAILURES = 5
#: scan interval while blobs keep coming, and the most it backs off to when idle (seconds)
MIN_SCAN = 1.0
MAX_SCAN = 4.0
Run = Callable[[FunctionSpec, Inputs, str], Awaitable[bool]]


@dataclass
class Receipt:
    """What this function did with one blob: the version (ETag) and its failures so far."""

    etag: str
    failures: int = 0
    done: bool = False


class BlobListener:
    """Feeds one function the new and changed blobs under its path pattern."""

    def __init__(
        self, spec: FunctionSpec, backend: StorageBackend, pattern: BlobPattern, run: Run, console: Console
    ) -> None:
        self.spec = spec
        self.backend = backend
        self.pattern = pattern
        self.run = run
        self.console = console
        self._receipts: dict[str, Receipt] = {}
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[bool] | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    def wake(self) -> None:
        """Scan now (this host wrote a blob the pattern matches) rather than at the next poll."""
        self._wake.set()

    async def stop(self, timeout: float) -> bool:
        """Scan no more; wait (bounded) for the blob being processed; True when it ended."""
        self._stopping = True
        self._wake.set()
        current = self._current
        if current is not None and not current.done():
            await asyncio.wait({current}, timeout=max(timeout, 0.01))
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return current is None or current.done()

    async def _listen(self) -> None:
        delay = MIN_SCAN
        while not self._stopping:
            self._wake.clear()  # cleared before the scan: a blob written during it scans again at once
            try:
                fired = await self._scan()
            except StorageError as exc:
                self.console.error(f"blob trigger {self.spec.name}: scanning {self.pattern.container!r} failed: {exc}")
                fired = False
            delay = MIN_SCAN if fired else min(delay * 2, MAX_SCAN)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                delay = MIN_SCAN
            except asyncio.TimeoutError:
                pass

    async def _scan(self) -> bool:
        fired = False
        for props in await self.backend.list_blobs(self.pattern.container, self.pattern.prefix):
            if self._stopping:
                break
            parameters = self.pattern.match(props.name)
            if parameters is None:
                continue
            receipt = await self._receipt(props)
            if receipt.done and receipt.etag == props.etag:
                continue
            if receipt.etag != props.etag:
                receipt = Receipt(props.etag)
            fired = True
            attempt = f", attempt {receipt.failures + 1} of {MAX_FAILURES}" if receipt.failures else ""
            self.console.info(
                f"{self.spec.name}: blob '{props.container}/{props.name}' detected ({props.length} bytes{attempt})"
            )
            self._current = asyncio.ensure_future(self._invoke(props, parameters))
            ok = await asyncio.shield(self._current)
            await self._settle(props, receipt, ok)
        return fired

    def _receipt_name(self, props: BlobProperties) -> str:
        return f"blobreceipts/quickfunc/{self.spec.name}/{props.container}/{props.name}"

    async def _receipt(self, props: BlobProperties) -> Receipt:
        key = f"{props.container}/{props.name}"
        known = self._receipts.get(key)
        if known is not None and known.etag == props.etag:
            return known
        stored = await self.backend.read_blob(RECEIPTS, self._receipt_name(props))
        receipt = Receipt(props.etag)
        if stored is not None:
            try:
                saved = json.loads(stored.data)
                if saved.get("etag") == props.etag:
                    receipt = Receipt(props.etag, int(saved.get("failures", 0)), bool(saved.get("done")))
            except (ValueError, AttributeError, TypeError):
                pass
        self._receipts[key] = receipt
        return receipt

    async def _invoke(self, props: BlobProperties, parameters: dict[str, str]) -> bool:
        blob = await self.backend.read_blob(props.container, props.name)
        if blob is None or blob.properties.etag != props.etag:
            return True  # gone or changed meanwhile: the next scan sees the new version
        inputs = blob_inputs(self.spec, self.backend, blob, parameters)
        reason = f"(blob '{props.container}/{props.name}', ETag {props.etag})"
        return await self.run(self.spec, inputs, reason)

    async def _settle(self, props: BlobProperties, receipt: Receipt, ok: bool) -> None:
        path = f"{props.container}/{props.name}"
        if ok:
            receipt.done = True
        else:
            receipt.failures += 1
            if receipt.failures >= MAX_FAILURES:
                receipt.done = True
                await self._poison(props)
                self.console.error(
                    f"{self.spec.name}: blob '{path}' failed {receipt.failures} times; "
                    f"reported to queue {POISON_QUEUE!r} and not retried"
                )
            else:
                self.console.warning(
                    f"{self.spec.name}: blob '{path}' failed ({receipt.failures} of {MAX_FAILURES}); "
                    "retried on the next scan"
                )
        self._receipts[path] = receipt
        record = {"etag": receipt.etag, "failures": receipt.failures, "done": receipt.done}
        await self.backend.write_blob(
            RECEIPTS, self._receipt_name(props), json.dumps(record).encode(), "application/json"
        )

    async def _poison(self, props: BlobProperties) -> None:
        message = {
            "Type": "BlobTrigger",
            "FunctionId": f"Host.Functions.{self.spec.name}",
            "BlobType": "BlockBlob",
            "ContainerName": props.container,
            "BlobName": props.name,
            "ETag": props.etag,
        }
        await self.backend.create_queue(POISON_QUEUE)
        await self.backend.put_message(POISON_QUEUE, encode_message(json.dumps(message).encode(), "base64"))
