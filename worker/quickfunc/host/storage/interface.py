"""What every storage backend offers: queue messages and blobs as records, the async operations on
them (Azure Storage semantics), and the errors they raise."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_BATCH",
    "NEVER_EXPIRES",
    "DEFAULT_MESSAGE_TTL",
    "StorageError",
    "NotFoundError",
    "QueueMessage",
    "BlobProperties",
    "Blob",
    "StorageBackend",
    "check_queue_name",
    "check_container_name",
    "check_blob_name",
    "message_text",
]

#: the largest queue message body Azure Storage takes (UTF-8 bytes)
MAX_MESSAGE_BYTES = 64 * 1024
#: most messages one receive or peek returns (Azure's limit)
MAX_BATCH = 32
#: time_to_live meaning "never expires", as Azure spells it
NEVER_EXPIRES = -1
#: Azure's default time to live of a queue message: seven days
DEFAULT_MESSAGE_TTL = 7 * 24 * 3600

_RESOURCE_NAME = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


class StorageError(Exception):
    """A storage operation that could not be done; the message says what and why."""


class NotFoundError(StorageError):
    """The queue, message (or its pop receipt), container or blob does not exist."""


@dataclass(frozen=True)
class QueueMessage:
    """One queue message as a receive, peek or put returns it (pop_receipt empty on a peek)."""

    id: str
    body: bytes
    dequeue_count: int
    insertion_time: datetime
    expiration_time: datetime | None  # None: never expires
    next_visible_time: datetime | None
    pop_receipt: str = ""


@dataclass(frozen=True)
class BlobProperties:
    """A blob's properties; the ETag changes on every write."""

    container: str
    name: str
    length: int
    content_type: str
    etag: str
    last_modified: datetime
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Blob:
    """A blob's content with its properties."""

    data: bytes
    properties: BlobProperties


class StorageBackend(Protocol):
    """Queues and blobs of one storage account (or the embedded store)."""

    #: for the banner: "embedded (.quickfunc/storage.db)", "Azurite at 127.0.0.1:10000/10001", ...
    description: str

    async def create_queue(self, queue: str) -> None:
        """Create the queue if it does not exist."""
        ...

    async def put_message(
        self, queue: str, body: bytes, visibility_timeout: float = 0, time_to_live: int = DEFAULT_MESSAGE_TTL
    ) -> QueueMessage:
        """Add a message (UTF-8 text, at most 64 KiB); NotFoundError when the queue is missing."""
        ...

    async def receive_messages(
        self, queue: str, max_messages: int = 1, visibility_timeout: float = 30
    ) -> list[QueueMessage]:
        """Up to ``max_messages`` visible messages, each hidden for ``visibility_timeout`` seconds
        (a lease: not deleted by then, it comes back) and its dequeue count raised by one."""
        ...

    async def delete_message(self, queue: str, message_id: str, pop_receipt: str) -> None:
        """Delete a received message; NotFoundError when it or its pop receipt is gone."""
        ...

    async def delete_messages(self, queue: str, leases: Sequence[tuple[str, str]]) -> list[str]:
        """Delete several received messages, given as (id, pop receipt); the ids of those that were
        gone or whose pop receipt no longer matched (the others are deleted all the same)."""
        ...

    async def update_visibility(
        self, queue: str, message_id: str, pop_receipt: str, visibility_timeout: float
    ) -> QueueMessage:
        """Hide a received message for ``visibility_timeout`` seconds from now; the returned
        message carries the new pop receipt and next visible time."""
        ...

    async def peek_messages(self, queue: str, max_messages: int = 1) -> list[QueueMessage]:
        """Visible messages, oldest first, without leasing them."""
        ...

    async def queue_length(self, queue: str) -> int:
        """Messages in the queue, visible or leased (Azure's approximate count)."""
        ...

    async def read_blob(self, container: str, name: str) -> Blob | None:
        """A blob's content and properties; None when it (or its container) does not exist."""
        ...

    async def write_blob(
        self,
        container: str,
        name: str,
        data: bytes,
        content_type: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobProperties:
        """Create or replace a blob (the container is created when missing, as bindings do)."""
        ...

    async def blob_properties(self, container: str, name: str) -> BlobProperties | None:
        """A blob's properties; None when it does not exist."""
        ...

    async def list_blobs(self, container: str, prefix: str = "") -> list[BlobProperties]:
        """The container's blobs whose names start with ``prefix``, by name; [] when no container."""
        ...

    async def delete_blob(self, container: str, name: str) -> bool:
        """Delete a blob; False when there was none."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


def check_queue_name(name: str) -> None:
    """Azure's rule: 3-63 lowercase letters, digits and single hyphens, not at either end."""
    if not _RESOURCE_NAME.match(name):
        raise StorageError(
            f"{name!r} is not a valid queue name: use 3 to 63 lowercase letters, digits and "
            "single hyphens, starting and ending with a letter or digit"
        )


def check_container_name(name: str) -> None:
    """Azure's rule for container names (the same as for queues)."""
    if not _RESOURCE_NAME.match(name):
        raise StorageError(
            f"{name!r} is not a valid blob container name: use 3 to 63 lowercase letters, "
            "digits and single hyphens, starting and ending with a letter or digit"
        )


def check_blob_name(name: str) -> None:
    """1 to 1024 characters, not ending with a dot or slash."""
    if not 1 <= len(name) <= 1024 or name.endswith((".", "/")):
        raise StorageError(f"{name!r} is not a valid blob name: 1 to 1024 characters, not ending with '.' or '/'")


def message_text(queue: str, body: bytes) -> str:
    """A message body as the text Azure queues carry: UTF-8, at most 64 KiB (callers that need
    binary content base64-encode it first, as messageEncoding says)."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise StorageError(
            f"a message of {len(body)} bytes is too large for queue {queue!r}: the limit is {MAX_MESSAGE_BYTES} bytes"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise StorageError(f"a message for queue {queue!r} is not UTF-8 text; base64-encode binary content") from None
