"""``quickfunc durable APP_DIR list|show ID``: the orchestration instances in an app's embedded
store, and one instance's status, history and output (what the local host's engine keeps)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from quickfunc.host.durable.history import now_text, public_event
from quickfunc.host.durable.store import DurableStore
from quickfunc.host.storage.embedded import store_path

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quickfunc durable",
        description="List the Durable Functions instances of an app's embedded store, or show one.",
    )
    parser.add_argument("app_dir", metavar="APP_DIR", help="the app folder")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="one line per instance, oldest first")
    listing.add_argument("--status", action="append", default=[], help="only this runtimeStatus (repeatable)")
    show = actions.add_parser("show", help="an instance's status, input, output and history")
    show.add_argument("instance_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="the status as the HTTP API returns it, with history")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    path = store_path(os.path.abspath(args.app_dir))
    if not os.path.isfile(path):
        sys.stderr.write(f"quickfunc durable: no embedded store at {path} (the app has not run yet)\n")
        return 1
    store = DurableStore(path)
    try:
        if args.action == "list":
            for item in store.query(args.status or None):
                out.write(f"{item.id}  {item.name}  {item.status}  created {now_text(item.created)[:19]}Z\n")
            return 0
        instance = store.get(args.instance_id)
        if instance is None:
            sys.stderr.write(f"quickfunc durable: no instance '{args.instance_id}' in {path}\n")
            return 1
        history = [public_event(e, True) for e in store.history(instance.id)]
        if args.json:
            from quickfunc.host.durable.links import status_json

            out.write(json.dumps(status_json(instance, store.history(instance.id), True), indent=2) + "\n")
            return 0
        out.write(f"{instance.id}  {instance.name}  {instance.status}\n")
        out.write(f"  input:  {instance.input}\n  output: {instance.output}\n")
        if instance.custom_status:
            out.write(f"  customStatus: {instance.custom_status}\n")
        out.write("  history:\n")
        for ev in history:
            detail = {k: v for k, v in ev.items() if k not in ("EventType", "Timestamp", "EventId")}
            out.write(f"    {ev['Timestamp']}  {ev['EventType']}  {json.dumps(detail) if detail else ''}\n")
        return 0
    finally:
        store.close()
