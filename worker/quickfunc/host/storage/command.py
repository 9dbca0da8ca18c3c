"""``quickfunc storage APP queue put|peek ...`` and ``... blob put|get|list ...``: look inside (or
seed) the storage an app's connection resolves to, the same backend the local host would use."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import mimetypes
import sys
from collections.abc import Sequence
from typing import TextIO

from quickfunc.host.storage.interface import MAX_BATCH, StorageBackend, StorageError
from quickfunc.host.storage.resolve import DEFAULT_CONNECTION, StorageConfigError, resolve_connections

__all__ = ["build_parser", "main"]

#: how queue messages are written and shown; base64 is the Functions host's messageEncoding default
ENCODINGS = ("base64", "none")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quickfunc storage",
        description="Look inside, or seed, the queues and blobs of an app's storage connection.",
    )
    parser.add_argument("app_dir", metavar="APP_DIR", help="the app folder (its local.settings.json is read)")
    parser.add_argument(
        "--connection", default=DEFAULT_CONNECTION, help=f"the connection setting (default {DEFAULT_CONNECTION})"
    )
    parser.add_argument("--storage", choices=("embedded", "connection"), help="as for the local host")
    kinds = parser.add_subparsers(dest="kind", required=True)
    queue = kinds.add_parser("queue", help="queue messages").add_subparsers(dest="action", required=True)
    put = queue.add_parser("put", help="add a message (the queue is created when missing)")
    put.add_argument("queue")
    put.add_argument("text", help="the message text")
    peek = queue.add_parser("peek", help="show visible messages without taking them")
    peek.add_argument("queue")
    peek.add_argument("-n", type=int, default=MAX_BATCH, help=f"how many (1-{MAX_BATCH}, default {MAX_BATCH})")
    for sub in (put, peek):
        sub.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="base64",
            help="message encoding, as host.json extensions.queues.messageEncoding (default base64)",
        )
    blob = kinds.add_parser("blob", help="blobs").add_subparsers(dest="action", required=True)
    bput = blob.add_parser("put", help="write a file to CONTAINER/NAME (the container is created when missing)")
    bput.add_argument("path", metavar="CONTAINER/NAME")
    bput.add_argument("file", help="the file to upload ('-' for standard input)")
    bput.add_argument("--content-type", default="", help="default: guessed from the name")
    get = blob.add_parser("get", help="print a blob, or write it to a file")
    get.add_argument("path", metavar="CONTAINER/NAME")
    get.add_argument("-o", "--output", help="write to this file instead of standard output")
    listing = blob.add_parser("list", help="list blobs")
    listing.add_argument("path", metavar="CONTAINER[/PREFIX]")
    return parser


def _split(path: str) -> tuple[str, str]:
    container, _, name = path.partition("/")
    return container, name


async def _queue(store: StorageBackend, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "put":
        body = args.text.encode("utf-8")
        if args.encoding == "base64":
            body = base64.b64encode(body)
        await store.create_queue(args.queue)
        message = await store.put_message(args.queue, body)
        print(f"put message {message.id} on queue {args.queue!r}", file=out)
        return 0
    for message in await store.peek_messages(args.queue, args.n):
        body = message.body
        if args.encoding == "base64":
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                pass  # not base64: shown as it is
        text = body.decode("utf-8", "backslashreplace")
        print(
            f"{message.id}  dequeued {message.dequeue_count}x  {message.insertion_time:%Y-%m-%dT%H:%M:%SZ}  {text}",
            file=out,
        )
    return 0


async def _blob(store: StorageBackend, args: argparse.Namespace, out: TextIO) -> int:
    container, name = _split(args.path)
    if args.action == "put":
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as f:
                data = f.read()
        content_type = args.content_type or mimetypes.guess_type(name)[0] or ""
        props = await store.write_blob(container, name, data, content_type)
        print(f"wrote {container}/{name} ({props.length} bytes, {props.content_type}, ETag {props.etag})", file=out)
        return 0
    if args.action == "get":
        blob = await store.read_blob(container, name)
        if blob is None:
            raise StorageError(f"there is no blob {container}/{name}")
        if args.output:
            with open(args.output, "wb") as f:
                f.write(blob.data)
        else:
            out.flush()
            getattr(out, "buffer", sys.stdout.buffer).write(blob.data)
        return 0
    for props in await store.list_blobs(container, name):
        print(
            f"{props.name}  {props.length}  {props.content_type}  {props.etag}  "
            f"{props.last_modified:%Y-%m-%dT%H:%M:%SZ}",
            file=out,
        )
    return 0


async def _run(args: argparse.Namespace, settings: dict[str, str], out: TextIO) -> int:
    connections = await resolve_connections(args.app_dir, settings, [args.connection], args.storage or "auto")
    try:
        resolved = connections.get(args.connection)
        assert resolved is not None
        print(resolved.banner_line, file=sys.stderr)
        if args.kind == "queue":
            return await _queue(resolved.backend, args, out)
        return await _blob(resolved.backend, args, out)
    finally:
        await connections.close()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one storage command; errors are one line on standard error and exit code 1."""
    from quickfunc.host.config import ConfigError, HostOptions, SettingsFileError, load_config

    args = build_parser().parse_args(argv)
    try:
        config = load_config(HostOptions(app_dir=args.app_dir))
        args.app_dir = config.app_dir
        return asyncio.run(_run(args, dict(config.settings), out or sys.stdout))
    except (ConfigError, SettingsFileError, StorageConfigError, StorageError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
