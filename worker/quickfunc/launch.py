"""What the command line tells the worker: where the host is and who this worker is (read by
cli, used by lifecycle)."""

from __future__ import annotations

from dataclasses import dataclass

#: the host passes int.MaxValue; gRPC takes -1 for "unlimited"
UNLIMITED = -1


@dataclass(frozen=True)
class LaunchConfig:
    """Where the host is and who this worker is, from the command line."""

    host: str
    port: int
    worker_id: str
    request_id: str
    max_message_length: int = UNLIMITED
    log_level: str = "INFO"
    log_to: str | None = None

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}"
