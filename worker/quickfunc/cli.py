"""Command line of the worker: both flag styles the host passes, console logging, and `main()`."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from . import __version__
from .launch import UNLIMITED, LaunchConfig

__all__ = ["UNLIMITED", "LaunchConfig", "UsageError", "parse_args", "main"]


class UsageError(Exception):
    """The command line cannot be used to reach the host."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m quickfunc",
        description="Azure Functions Python language worker: connects to a Functions host over gRPC and runs "
        "the app's functions. The host starts it with both flag styles; where both name a value, the "
        "--functions-* one wins.",
    )
    p.add_argument("--version", action="version", version=f"quickfunc {__version__}")
    p.add_argument("--host", help="address of the host's gRPC server (e.g. 127.0.0.1)")
    p.add_argument("--port", type=int, help="port of the host's gRPC server")
    p.add_argument("--workerId", dest="worker_id", metavar="ID", help="this worker's id, sent back in StartStream")
    p.add_argument(
        "--requestId", dest="request_id", metavar="ID", help="id of the host's start request, stamped on messages"
    )
    p.add_argument(
        "--grpcMaxMessageLength",
        dest="max_len",
        type=int,
        metavar="BYTES",
        help="largest gRPC message either way (the host passes 2147483647: no limit)",
    )
    p.add_argument("--functions-uri", dest="uri", metavar="URI", help="the host's gRPC server as http://HOST:PORT/")
    p.add_argument("--functions-worker-id", dest="f_worker_id", metavar="ID", help="the same as --workerId")
    p.add_argument("--functions-request-id", dest="f_request_id", metavar="ID", help="the same as --requestId")
    p.add_argument(
        "--functions-grpc-max-message-length",
        dest="f_max_len",
        type=int,
        metavar="BYTES",
        help="the same as --grpcMaxMessageLength",
    )
    p.add_argument(
        "--log-level",
        default="INFO",
        choices=["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"],
        help="lowest level of the worker's own console lines before the stream is up (default INFO; TRACE = DEBUG)",
    )
    p.add_argument(
        "--log-to",
        metavar="WHERE",
        help="where those lines go: stdout, stderr or a file path (default: errors to stderr, the rest to stdout)",
    )
    return p


def parse_args(argv: list[str]) -> LaunchConfig:
    """Read both flag styles; the `--functions-*` ones win where both are given."""
    ns, _unknown = _parser().parse_known_args(argv)
    host, port = ns.host, ns.port
    if ns.uri:
        parts = urlsplit(ns.uri if "://" in ns.uri else f"http://{ns.uri}")
        if not parts.hostname or not parts.port:
            raise UsageError(f"--functions-uri {ns.uri!r} must look like http://HOST:PORT/")
        host, port = parts.hostname, parts.port
    worker_id = ns.f_worker_id or ns.worker_id
    request_id = ns.f_request_id or ns.request_id or ""
    missing = [
        name
        for name, value in (
            ("--functions-uri or --host", host),
            ("--port", port),
            ("--functions-worker-id or --workerId", worker_id),
        )
        if not value
    ]
    if missing:
        raise UsageError("missing " + ", ".join(missing))
    max_len = ns.f_max_len if ns.f_max_len is not None else ns.max_len
    if max_len is None or max_len <= 0 or max_len >= 2**31 - 1:
        max_len = UNLIMITED
    level = "DEBUG" if ns.log_level == "TRACE" else ns.log_level
    return LaunchConfig(host, int(port), worker_id, request_id, max_len, level, ns.log_to)


def main(argv: list[str] | None = None) -> int:
    from . import console

    argv = sys.argv[1:] if argv is None else argv
    try:
        config = parse_args(argv)
    except UsageError as exc:
        console.setup("INFO", None)
        console.error(f"cannot start: {exc}")
        return 2
    console.setup(config.log_level, config.log_to)
    from . import debugging

    try:
        debugging.setup()
    except debugging.DebuggerUnavailable as exc:
        console.error(f"cannot start: {exc}")
        return debugging.EXIT_NO_DEBUGGER
    from .lifecycle import run

    return run(config)
