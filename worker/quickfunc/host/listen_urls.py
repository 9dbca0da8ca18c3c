"""The URLs the local host is reached at: its functions' base URL, and what "Listening on" says
for the address its socket is bound to."""

from __future__ import annotations

__all__ = ["listening_urls"]


def listening_urls(configured: str, bound: str, port: int) -> tuple[str, str]:
    """(the base URL of the functions, what "Listening on" says) for a socket bound to
    ``bound``:``port`` from the configured --host: an every-address one (0.0.0.0, as in a
    container) is shown as it is, with the loopback URL that reaches it from this machine."""

    def url(host: str) -> str:
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    if configured in ("0.0.0.0", "::", ""):
        base = url("127.0.0.1")
        return base, f"{url(bound)}, every address of this machine ({base} from here)"
    return url(configured), url(bound)
