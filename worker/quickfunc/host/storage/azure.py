"""The Azure Storage backend (a storage account or Azurite) through the official SDK's asyncio
clients; message bodies go as the text they are (base64 is the caller's choice)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueServiceClient

from quickfunc.host.storage.interface import (
    DEFAULT_MESSAGE_TTL,
    MAX_BATCH,
    Blob,
    BlobProperties,
    NotFoundError,
    QueueMessage,
    StorageError,
    check_blob_name,
    check_container_name,
    check_queue_name,
    message_text,
)

__all__ = ["AzureStorage"]

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: error codes that mean "the thing named is not there (any more)"
_GONE = {"PopReceiptMismatch", "MessageNotFound", "QueueNotFound", "BlobNotFound", "ContainerNotFound"}


def _short(exc: AzureError) -> str:
    """The first line of an SDK error (its full text repeats the whole XML response)."""
    code = getattr(exc, "error_code", None)
    code = getattr(code, "value", code)  # the SDK's StorageErrorCode enum
    first = (str(exc.message or exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"{first} ({code})" if code and str(code) not in first else first


@asynccontextmanager
async def _errors(what: str) -> AsyncIterator[None]:
    """SDK errors as StorageError / NotFoundError saying what was being done."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise NotFoundError(f"{what}: {_short(exc)}") from None
    except HttpResponseError as exc:
        if getattr(exc, "error_code", None) in _GONE:
            raise NotFoundError(f"{what}: {_short(exc)}") from None
        raise StorageError(f"{what}: {_short(exc)}") from None
    except AzureError as exc:
        raise StorageError(f"{what}: {_short(exc)}") from None


def _message(item: Any, pop_receipt: bool = True) -> QueueMessage:
    content = item.content
    body = content.encode("utf-8") if isinstance(content, str) else bytes(content or b"")
    return QueueMessage(
        id=item.id,
        body=body,
        dequeue_count=int(item.dequeue_count or 0),
        insertion_time=item.inserted_on or _EPOCH,
        expiration_time=item.expires_on,
        next_visible_time=item.next_visible_on,
        pop_receipt=(item.pop_receipt or "") if pop_receipt else "",
    )


def _properties(container: str, props: Any) -> BlobProperties:
    settings = props.content_settings
    return BlobProperties(
        container=container,
        name=props.name,
        length=int(props.size or 0),
        content_type=(settings.content_type if settings else None) or "application/octet-stream",
        etag=props.etag if props.etag.startswith('"') else f'"{props.etag}"',
        last_modified=props.last_modified,
        metadata=dict(props.metadata or {}),
    )


class AzureStorage:
    """Queues and blobs of one storage account, from its connection string."""

    def __init__(self, connection_string: str, description: str) -> None:
        self.description = description
        self.queues = QueueServiceClient.from_connection_string(connection_string)
        self.blobs = BlobServiceClient.from_connection_string(connection_string)

    async def check(self) -> None:
        """One cheap call on each service, not retried: a refused key or an unreachable
        account fails here."""
        async with _errors("checking the queue service"):
            async for _ in self.queues.list_queues(results_per_page=1, retry_total=0):
                break
        async with _errors("checking the blob service"):
            async for _ in self.blobs.list_containers(results_per_page=1, retry_total=0):
                break

    async def _queue(self, queue: str, what: str, call: Awaitable[T]) -> T:
        async with _errors(f"{what} on queue {queue!r}"):
            return await call

    async def create_queue(self, queue: str) -> None:
        check_queue_name(queue)
        client = self.queues.get_queue_client(queue)
        async with _errors(f"creating queue {queue!r}"):
            try:
                await client.create_queue()
            except HttpResponseError as exc:
                if getattr(exc, "error_code", None) != "QueueAlreadyExists":
                    raise

    async def put_message(
        self, queue: str, body: bytes, visibility_timeout: float = 0, time_to_live: int = DEFAULT_MESSAGE_TTL
    ) -> QueueMessage:
        text = message_text(queue, body)
        check_queue_name(queue)
        client = self.queues.get_queue_client(queue)
        sent = await self._queue(
            queue,
            "putting a message",
            client.send_message(text, visibility_timeout=int(visibility_timeout), time_to_live=time_to_live),
        )
        return QueueMessage(
            id=sent.id,
            body=body,
            dequeue_count=0,
            insertion_time=sent.inserted_on or _EPOCH,
            expiration_time=sent.expires_on,
            next_visible_time=sent.next_visible_on,
            pop_receipt=sent.pop_receipt or "",
        )

    async def receive_messages(
        self, queue: str, max_messages: int = 1, visibility_timeout: float = 30
    ) -> list[QueueMessage]:
        if not 1 <= max_messages <= MAX_BATCH:
            raise StorageError(f"ask queue {queue!r} for 1 to {MAX_BATCH} messages at a time (got {max_messages})")
        check_queue_name(queue)
        client = self.queues.get_queue_client(queue)
        out: list[QueueMessage] = []
        async with _errors(f"receiving from queue {queue!r}"):
            pages = client.receive_messages(
                messages_per_page=max_messages, max_messages=max_messages, visibility_timeout=int(visibility_timeout)
            )
            async for item in pages:
                out.append(_message(item))
        return out

    async def delete_message(self, queue: str, message_id: str, pop_receipt: str) -> None:
        client = self.queues.get_queue_client(queue)
        await self._queue(queue, f"deleting message {message_id}", client.delete_message(message_id, pop_receipt))

    async def delete_messages(self, queue: str, leases: Sequence[tuple[str, str]]) -> list[str]:
        # the service deletes one message per request: send them side by side
        async def one(message_id: str, pop_receipt: str) -> str | None:
            try:
                await self.delete_message(queue, message_id, pop_receipt)
            except NotFoundError:
                return message_id
            return None

        gone = await asyncio.gather(*(one(message_id, receipt) for message_id, receipt in leases))
        return [message_id for message_id in gone if message_id is not None]

    async def update_visibility(
        self, queue: str, message_id: str, pop_receipt: str, visibility_timeout: float
    ) -> QueueMessage:
        client = self.queues.get_queue_client(queue)
        updated = await self._queue(
            queue,
            f"updating message {message_id}",
            client.update_message(message_id, pop_receipt, visibility_timeout=int(visibility_timeout)),
        )
        return _message(updated)

    async def peek_messages(self, queue: str, max_messages: int = 1) -> list[QueueMessage]:
        if not 1 <= max_messages <= MAX_BATCH:
            raise StorageError(f"ask queue {queue!r} for 1 to {MAX_BATCH} messages at a time (got {max_messages})")
        client = self.queues.get_queue_client(queue)
        items = await self._queue(queue, "peeking", client.peek_messages(max_messages=max_messages))
        return [_message(item, pop_receipt=False) for item in items]

    async def queue_length(self, queue: str) -> int:
        client = self.queues.get_queue_client(queue)
        props = await self._queue(queue, "reading the length", client.get_queue_properties())
        return int(props.approximate_message_count or 0)

    async def read_blob(self, container: str, name: str) -> Blob | None:
        client = self.blobs.get_blob_client(container, name)
        try:
            async with _errors(f"reading blob {container}/{name}"):
                stream = await client.download_blob()
                data = await stream.readall()
        except NotFoundError:
            return None
        props = stream.properties
        props.name = name
        return Blob(bytes(data), _properties(container, props))

    async def write_blob(
        self,
        container: str,
        name: str,
        data: bytes,
        content_type: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobProperties:
        check_container_name(container)
        check_blob_name(name)
        client = self.blobs.get_blob_client(container, name)
        settings = ContentSettings(content_type=content_type or "application/octet-stream")
        async with _errors(f"writing blob {container}/{name}"):
            for attempt in (1, 2):
                try:
                    await client.upload_blob(
                        bytes(data), overwrite=True, content_settings=settings, metadata=dict(metadata or {})
                    )
                    break
                except ResourceNotFoundError:
                    if attempt == 2:
                        raise
                    try:
                        await self.blobs.create_container(container)
                    except HttpResponseError as exc:
                        if getattr(exc, "error_code", None) != "ContainerAlreadyExists":
                            raise
            props = await client.get_blob_properties()
        return _properties(container, props)

    async def blob_properties(self, container: str, name: str) -> BlobProperties | None:
        client = self.blobs.get_blob_client(container, name)
        try:
            async with _errors(f"reading the properties of blob {container}/{name}"):
                props = await client.get_blob_properties()
        except NotFoundError:
            return None
        return _properties(container, props)

    async def list_blobs(self, container: str, prefix: str = "") -> list[BlobProperties]:
        client = self.blobs.get_container_client(container)
        out: list[BlobProperties] = []
        try:
            async with _errors(f"listing container {container!r}"):
                async for props in client.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
                    out.append(_properties(container, props))
        except NotFoundError:
            return []
        return sorted(out, key=lambda p: p.name)

    async def delete_blob(self, container: str, name: str) -> bool:
        client = self.blobs.get_blob_client(container, name)
        try:
            async with _errors(f"deleting blob {container}/{name}"):
                await client.delete_blob()
        except NotFoundError:
            return False
        return True

    async def close(self) -> None:
        await self.queues.close()
        await self.blobs.close()
