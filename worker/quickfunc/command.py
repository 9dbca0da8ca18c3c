"""The ``quickfunc`` console command: ``quickfunc start [APP_DIR] [options]`` serves an app with
the local host; ``quickfunc worker --host … --port …`` runs one worker, as a host would."""

from __future__ import annotations

import sys

__all__ = ["main"]

_USAGE = """usage: quickfunc COMMAND [ARGS]

commands:
  start [APP_DIR] [options]   serve a function app on this machine (like `func start`);
                              `quickfunc start --help` lists the options
  storage APP_DIR queue|blob …  look inside or seed the app's queues and blobs
                              (`quickfunc storage --help`)
  durable APP_DIR list|show ID  list the app's orchestration instances, or show
                              one's status, history and output
  dockerfile [APP_DIR]        write a Dockerfile for the app, on the quickfunc host image
                              (`quickfunc dockerfile --help`; docs/deploy.md)
  worker --host … --port …    run one language worker connected to a Functions host
  version, --version          print the version
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the subcommand; an unknown one prints the usage and exits with code 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(_USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "start":
        from quickfunc.host.__main__ import main as start

        return start(rest)
    if command == "storage":
        from quickfunc.host.storage.command import main as storage

        return storage(rest)
    if command == "durable":
        from quickfunc.host.durable.command import main as durable

        return durable(rest)
    if command == "dockerfile":
        from quickfunc.host.dockerfile import main as dockerfile

        return dockerfile(rest)
    if command == "worker":
        import runpy

        # exactly `python -m quickfunc`: same start-up order and the same exit
        sys.argv = ["quickfunc", *rest]
        runpy.run_module("quickfunc", run_name="__main__", alter_sys=True)
        return 0
    if command in ("version", "--version"):
        from quickfunc import __version__

        print(f"quickfunc {__version__}")
        return 0
    sys.stderr.write(f"quickfunc: unknown command {command!r}\n{_USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
