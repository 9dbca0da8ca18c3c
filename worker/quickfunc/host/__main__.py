"""``python -m quickfunc.host APP_DIR [--port 7071] [--host 127.0.0.1] [--enable-auth] ...``:
serve a function app locally (also installed as the ``quickfunc-host`` command)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

import quickfunc
from quickfunc.host.config import (
    DEFAULT_BODY_WAIT_TIMEOUT,
    DEFAULT_DRAIN_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_HTTP_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_RESTART_DELAY,
    DEFAULT_RESTART_MAX_DELAY,
    DEFAULT_WORKER_LOG_LEVEL,
    STORAGE_MODES,
    ConfigError,
    HostOptions,
    SettingsFileError,
    load_config,
)
from quickfunc.host.dev_options import DevOptions, add_debug_arguments, with_debug_arguments
from quickfunc.host.env_options import env_defaults

__all__ = ["build_parser", "parse_options", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m quickfunc.host",
        description="Serve an Azure Functions Python app (v1 or v2) on this machine.",
        epilog="Every option can also be set in the environment as QUICKFUNC_ and its name in capitals "
        "(QUICKFUNC_DRAIN_TIMEOUT=40, QUICKFUNC_ENABLE_AUTH=true); the command line wins.",
    )
    parser.add_argument("--version", action="version", version=f"quickfunc {quickfunc.__version__}")
    parser.add_argument(
        "app_dir",
        nargs="?",
        metavar="APP_DIR",
        help="the app folder (default: $AzureWebJobsScriptRoot, else the current folder)",
    )
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HTTP_HOST}; env QUICKFUNC_HOST)")
    parser.add_argument(
        "--port",
        type=int,
        help=f"HTTP port (default {DEFAULT_HTTP_PORT}, or Host.LocalHttpPort; 0 = any free port; env QUICKFUNC_PORT)",
    )
    parser.add_argument(
        "--enable-auth",
        action="store_true",
        help="enforce function/admin keys (x-functions-key header or ?code=)",
    )
    parser.add_argument(
        "--cors",
        metavar="ORIGINS",
        help='answer CORS for these comma-separated origins, or "*" (default: Host.CORS in local.settings.json)',
    )
    parser.add_argument(
        "--cors-credentials",
        action="store_true",
        help="allow cross-origin requests with credentials (cookies); also Host.CORSCredentials",
    )
    parser.add_argument(
        "--functions",
        nargs="+",
        metavar="NAME",
        help="serve only these functions (the others are not loaded)",
    )
    parser.add_argument(
        "--max-body-size",
        metavar="SIZE",
        help="largest request body, e.g. 10MB (default 100MB); larger → 413",
    )
    parser.add_argument(
        "--max-body-memory",
        metavar="SIZE",
        help="most bytes of request bodies held at once (default 256MB, at "
        "least --max-body-size); more bodies wait for room",
    )
    parser.add_argument(
        "--body-wait-timeout",
        type=float,
        metavar="SECONDS",
        help=f"how long a body may wait for room before its 503 (default {DEFAULT_BODY_WAIT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-header-size",
        metavar="SIZE",
        help="largest request header line (default 16KB); larger → 431",
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="lowest level of function logs to show (default: host.json logging.logLevel, else Information)",
    )
    parser.add_argument(
        "--worker-log-level",
        metavar="LEVEL",
        help=f"lowest level of worker System logs to show (default {DEFAULT_WORKER_LOG_LEVEL})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show worker System logs from Debug up")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        metavar="SECONDS",
        help=f"how long in-flight work may take at shutdown (default {DEFAULT_DRAIN_TIMEOUT:g})",
    )
    parser.add_argument(
        "--queue-lease",
        type=float,
        metavar="SECONDS",
        help="how long a queue trigger's message stays leased while its function runs (renewed; default 600, "
        "the Functions host's); a killed host's messages come back to other hosts after it",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        metavar="SECONDS",
        help=f"a request head (request line and headers) must arrive within "
        f"this (default {DEFAULT_HEADER_TIMEOUT:g}); slower → 408",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        metavar="SECONDS",
        help=f"close a keep-alive connection idle this long (default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        metavar="N",
        help="open HTTP connections at most (default: what the open-file limit allows next to the workers)",
    )
    parser.add_argument(
        "--restart-delay",
        type=float,
        metavar="SECONDS",
        help=f"first pause before retrying a worker that failed to start "
        f"(default {DEFAULT_RESTART_DELAY:g}; doubles each time)",
    )
    parser.add_argument(
        "--restart-max-delay",
        type=float,
        metavar="SECONDS",
        help=f"longest pause between worker restart attempts (default {DEFAULT_RESTART_MAX_DELAY:g}); they never stop",
    )
    parser.add_argument(
        "--storage",
        choices=STORAGE_MODES[1:],
        help="where queues and blobs live: 'embedded' (.quickfunc/storage.db under the app) or "
        "'connection' (the account each connection setting names); default: by the setting's value",
    )
    parser.add_argument("--python", metavar="EXECUTABLE", help="Python that runs the workers (default: this one)")
    add_debug_arguments(parser)
    parser.add_argument(
        "--no-watch",
        dest="watch",
        action="store_false",
        help="do not reload the app when its .py, function.json, host.json or local.settings.json files change",
    )
    colour = parser.add_mutually_exclusive_group()
    colour.add_argument(
        "--color",
        dest="color",
        action="store_const",
        const=True,
        help="colour the output even when it is not a terminal",
    )
    colour.add_argument(
        "--no-color",
        dest="color",
        action="store_const",
        const=False,
        help="never colour the output",
    )
    return parser


def parse_options(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> HostOptions:
    parser = build_parser()
    try:  # QUICKFUNC_<OPTION> variables are the defaults the command line overrides
        parser.set_defaults(**env_defaults(parser, os.environ if environ is None else environ))
    except ValueError as exc:
        parser.error(str(exc))
    args = parser.parse_args(argv)
    return HostOptions(
        app_dir=args.app_dir,
        host=args.host,
        port=args.port,
        enable_auth=args.enable_auth,
        max_body_size=args.max_body_size,
        max_header_size=args.max_header_size,
        max_body_memory=args.max_body_memory,
        body_wait_timeout=args.body_wait_timeout,
        log_level=args.log_level,
        worker_log_level="Debug" if args.verbose else args.worker_log_level,
        drain_timeout=args.drain_timeout,
        queue_lease=args.queue_lease,
        python=args.python,
        color=args.color,
        header_timeout=args.header_timeout,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        restart_delay=args.restart_delay,
        restart_max_delay=args.restart_max_delay,
        storage=args.storage,
        cors=args.cors,
        cors_credentials=args.cors_credentials,
        functions=args.functions,
        dev=with_debug_arguments(DevOptions(watch=args.watch), args),
    )


#: what the local host imports beyond the worker's own dependencies (the ``host`` extra)
HOST_EXTRA_MODULES = ("aiohttp", "croniter", "watchfiles")


def missing_host_extra() -> list[str]:
    """The ``host`` extra's modules that cannot be imported here."""
    import importlib.util

    return [name for name in HOST_EXTRA_MODULES if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    """Entry point: configuration errors are printed for the user and exit with code 1."""
    options = parse_options(argv)
    missing = missing_host_extra()
    if missing:
        print(
            f"error: the local host needs the 'host' extra ({', '.join(missing)} missing): "
            f"{sys.executable} -m pip install 'quickfunc-worker[host]'",
            file=sys.stderr,
        )
        return 1
    try:
        config = load_config(options)
    except (ConfigError, SettingsFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from quickfunc.host.runner import run  # after the config is known good: imports aiohttp

    return run(config, options)


if __name__ == "__main__":
    sys.exit(main())
