"""The same behaviour from both backends (embedded sqlite and a real Azurite): queue leases,
dequeue counts, peeks and lengths; blob content, properties, ETags, listings."""

from __future__ import annotations

import asyncio
import time

import pytest

from quickfunc.host.storage.interface import NotFoundError, StorageBackend, StorageError
from tests.helpers import run


async def _using(make_store, body) -> None:
    store: StorageBackend = make_store()
    try:
        await body(store)
    finally:
        await store.close()


async def _receive_within(store: StorageBackend, queue: str, seconds: float, visibility: float = 30):
    """Receive until a message comes (bounded by ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = await store.receive_messages(queue, 1, visibility)
        if got:
            return got
        await asyncio.sleep(0.1)
    return []


def test_put_receive_delete_keeps_the_text_exactly(make_store, name):
    text = 'ünïcode <xml> & "quotes" \' {"item": "book"} \u2603'.encode()

    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        await store.create_queue(name)  # creating twice is fine
        put = await store.put_message(name, text)
        assert put.id and put.dequeue_count == 0 and put.expiration_time is not None
        assert await store.queue_length(name) == 1
        [got] = await store.receive_messages(name, 1, 30)
        assert (got.id, got.body, got.dequeue_count) == (put.id, text, 1)
        assert got.pop_receipt and got.next_visible_time is not None
        assert got.next_visible_time > got.insertion_time
        assert await store.receive_messages(name, 1, 30) == []  # leased
        assert await store.queue_length(name) == 1  # the count includes leased messages
        await store.delete_message(name, got.id, got.pop_receipt)
        assert await store.queue_length(name) == 0
        with pytest.raises(NotFoundError):
            await store.delete_message(name, got.id, got.pop_receipt)

    run(_using(make_store, body))


def test_a_batch_delete_deletes_the_leased_messages_and_names_the_ones_it_could_not(make_store, name):
    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        for i in range(4):
            await store.put_message(name, f"m{i}".encode())
        got = await store.receive_messages(name, 4, 30)
        assert len(got) == 4
        stale = got[3]
        await store.update_visibility(name, stale.id, stale.pop_receipt, 30)  # its receipt changes
        leases = [(m.id, m.pop_receipt) for m in got]
        assert await store.delete_messages(name, leases) == [stale.id]
        assert await store.queue_length(name) == 1  # only the one whose receipt no longer matched
        assert await store.delete_messages(name, leases[:1]) == [got[0].id]  # already gone

    run(_using(make_store, body))


def test_a_lease_that_expires_brings_the_message_back_with_a_higher_dequeue_count(make_store, name):
    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        await store.put_message(name, b"again")
        [first] = await store.receive_messages(name, 1, 1)
        assert first.dequeue_count == 1
        [second] = await _receive_within(store, name, 10, 1)
        assert (second.id, second.body, second.dequeue_count) == (first.id, b"again", 2)
        assert second.pop_receipt != first.pop_receipt
        with pytest.raises(NotFoundError):  # the first receipt is void once received again
            await store.delete_message(name, first.id, first.pop_receipt)
        await store.delete_message(name, second.id, second.pop_receipt)
        assert await store.queue_length(name) == 0

    run(_using(make_store, body))


def test_update_visibility_renews_or_ends_a_lease(make_store, name):
    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        await store.put_message(name, b"m")
        [got] = await store.receive_messages(name, 1, 30)
        updated = await store.update_visibility(name, got.id, got.pop_receipt, 0)
        assert updated.pop_receipt and updated.pop_receipt != got.pop_receipt
        with pytest.raises(NotFoundError):
            await store.update_visibility(name, got.id, got.pop_receipt, 0)
        [again] = await _receive_within(store, name, 5)
        assert (again.id, again.body, again.dequeue_count) == (got.id, b"m", 2)

    run(_using(make_store, body))


def test_peek_does_not_lease_and_skips_leased_messages(make_store, name):
    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        for i in range(3):
            await store.put_message(name, f"m{i}".encode())
        peeked = await store.peek_messages(name, 32)
        assert sorted(m.body for m in peeked) == [b"m0", b"m1", b"m2"]
        assert all(m.dequeue_count == 0 and m.pop_receipt == "" for m in peeked)
        got = await store.receive_messages(name, 2, 30)
        assert len(got) == 2
        rest = await store.peek_messages(name, 32)
        assert [m.id for m in rest] == [m.id for m in peeked if m.id not in {g.id for g in got}]
        assert await store.queue_length(name) == 3

    run(_using(make_store, body))


def test_a_message_put_with_a_visibility_delay_comes_later(make_store, name):
    async def body(store: StorageBackend) -> None:
        await store.create_queue(name)
        await store.put_message(name, b"later", visibility_timeout=1)
        assert await store.receive_messages(name, 1, 30) == []
        [got] = await _receive_within(store, name, 10)
        assert got.body == b"later"

    run(_using(make_store, body))


def test_missing_queues_and_bad_input_are_clear_errors(make_store, name):
    async def body(store: StorageBackend) -> None:
        with pytest.raises(NotFoundError):
            await store.put_message(name, b"x")
        with pytest.raises(NotFoundError):
            await store.receive_messages(name, 1, 30)
        await store.create_queue(name)
        with pytest.raises(StorageError, match="not a valid queue name"):
            await store.create_queue("Bad_Name")
        with pytest.raises(StorageError, match="too large"):
            await store.put_message(name, b"x" * (64 * 1024 + 1))
        with pytest.raises(StorageError, match="not UTF-8"):
            await store.put_message(name, b"\xff\xfe")
        with pytest.raises(StorageError, match="1 to 32"):
            await store.receive_messages(name, 33, 30)
        assert await store.queue_length(name) == 0

    run(_using(make_store, body))


def test_blobs_round_trip_with_properties_and_a_new_etag_on_every_write(make_store, name):
    data = bytes(range(256)) * 3

    async def body(store: StorageBackend) -> None:
        assert await store.read_blob(name, "a.bin") is None  # no container yet
        assert await store.list_blobs(name) == []
        first = await store.write_blob(name, "dir/a.bin", data, "application/x-test", {"kind": "test"})
        assert (first.name, first.length, first.content_type) == ("dir/a.bin", len(data), "application/x-test")
        assert first.etag.startswith('"') and first.etag.endswith('"')
        blob = await store.read_blob(name, "dir/a.bin")
        assert blob is not None and blob.data == data
        assert blob.properties.etag == first.etag and dict(blob.properties.metadata) == {"kind": "test"}
        assert await store.read_blob(name, "dir/missing") is None
        second = await store.write_blob(name, "dir/a.bin", b"new")
        assert second.etag != first.etag and second.length == 3
        assert second.last_modified >= first.last_modified
        props = await store.blob_properties(name, "dir/a.bin")
        assert props is not None and props.etag == second.etag
        assert props.content_type == "application/octet-stream"
        await store.write_blob(name, "b.txt", b"b", "text/plain")
        await store.write_blob(name, "dir/c.txt", b"c", "text/plain")
        assert [p.name for p in await store.list_blobs(name)] == ["b.txt", "dir/a.bin", "dir/c.txt"]
        assert [p.name for p in await store.list_blobs(name, "dir/")] == ["dir/a.bin", "dir/c.txt"]
        assert await store.delete_blob(name, "b.txt") is True
        assert await store.delete_blob(name, "b.txt") is False
        assert await store.blob_properties(name, "b.txt") is None

    run(_using(make_store, body))
