"""Test helper: the least of a Debug Adapter Protocol client (what VS Code speaks to debugpy), over
a socket to 127.0.0.1. Every read is bounded in time."""

from __future__ import annotations

import json
import socket
import time
from typing import Any


class DapClient:
    """One DAP connection: send requests, read messages until the one wanted."""

    def __init__(self, port: int, timeout: float = 20.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout
        self._seq = 0
        self._buffer = b""
        #: every message read so far
        self.seen: list[dict[str, Any]] = []
        self._unclaimed: list[dict[str, Any]] = []  # read, not yet returned by wait_for

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> DapClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, command: str, **arguments: Any) -> int:
        self._seq += 1
        body = json.dumps({"seq": self._seq, "type": "request", "command": command, "arguments": arguments})
        data = body.encode("utf-8")
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        return self._seq

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\r\n\r\n" not in self._buffer:
            self._fill(deadline)
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        self._buffer = rest
        while len(self._buffer) < length:
            self._fill(deadline)
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        message = json.loads(body)
        self.seen.append(message)
        self._unclaimed.append(message)
        return message

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete DAP message in time; seen: {self.seen}")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the debug adapter closed the connection; seen: {self.seen}")
        self._buffer += chunk

    def wait_for(self, kind: str, name: str, seq: int | None = None) -> dict[str, Any]:
        """The response to ``name`` (request ``seq``) or the event ``name``, read already or next."""

        def matches(message: dict[str, Any]) -> bool:
            if message.get("type") != kind:
                return False
            if kind == "response":
                return message.get("command") == name and seq in (None, message.get("request_seq"))
            return message.get("event") == name

        deadline = time.monotonic() + self.timeout
        for _ in range(1000):
            found = next((message for message in self._unclaimed if matches(message)), None)
            if found is not None:
                self._unclaimed.remove(found)
                return found
            self._read_message(deadline)
        raise AssertionError(f"no {kind} {name!r} among {len(self.seen)} messages")

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.wait_for("response", command, self.send(command, **arguments))

    def attach(self, breakpoints: dict[str, list[int]] | None = None) -> None:
        """What VS Code's "attach" does: initialize, attach, then (once the adapter says it is
        initialized) the breakpoints set in the editor (file -> lines) and configurationDone."""
        reply = self.request("initialize", clientID="quickfunc-tests", adapterID="debugpy", pathFormat="path")
        assert reply["success"], reply
        attach_seq = self.send("attach", justMyCode=True)
        self.wait_for("event", "initialized")
        for path, lines in (breakpoints or {}).items():
            placed = self.request("setBreakpoints", source={"path": path}, breakpoints=[{"line": n} for n in lines])
            assert placed["success"], placed
        done = self.request("configurationDone")
        assert done["success"], done
        attached = self.wait_for("response", "attach", attach_seq)
        assert attached["success"], attached

    def stopped(self) -> dict[str, Any]:
        """The next ``stopped`` event (a breakpoint was hit), with the frame it stopped in."""
        event = self.wait_for("event", "stopped")
        thread = event["body"]["threadId"]
        frames = self.request("stackTrace", threadId=thread, levels=1)["body"]["stackFrames"]
        return {"thread": thread, "reason": event["body"].get("reason"), "frame": frames[0]}

    def resume(self, thread: int) -> None:
        reply = self.request("continue", threadId=thread)
        assert reply["success"], reply
