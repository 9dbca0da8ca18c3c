"""CORS as ``func start`` does it (Host.CORS / --cors): answer preflights with 204 and add the
Access-Control-* headers to every response for an allowed origin; a pure decision plus headers."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

__all__ = ["CorsPolicy", "CorsError", "parse_origins", "is_preflight"]

ANY_ORIGIN = "*"


class CorsError(ValueError):
    """Host.CORS / --cors settings that cannot be used together."""


def parse_origins(text: str) -> tuple[str, ...]:
    """``"http://a, http://b"`` as its origins (empty entries dropped, spaces trimmed)."""
    return tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """An OPTIONS request with an Origin and an Access-Control-Request-Method."""
    return (
        method.upper() == "OPTIONS"
        and bool(headers.get("Origin"))
        and bool(headers.get("Access-Control-Request-Method"))
    )


@dataclass(frozen=True)
class CorsPolicy:
    """The allowed origins (``*`` = any) and whether credentials are allowed; any method and any
    header are allowed, as in Core Tools."""

    origins: tuple[str, ...]
    credentials: bool = False

    def __post_init__(self) -> None:
        if self.allow_any and self.credentials:
            raise CorsError(
                'CORS cannot allow any origin ("*") together with credentials: list the '
                "origins in Host.CORS (or --cors), or turn off Host.CORSCredentials (--cors-credentials)"
            )

    @property
    def allow_any(self) -> bool:
        return ANY_ORIGIN in self.origins

    def allows(self, origin: str) -> bool:
        if self.allow_any:
            return True
        lowered = origin.lower()
        return any(lowered == allowed.lower() for allowed in self.origins)

    def _origin_headers(self, origin: str) -> dict[str, str]:
        headers = {"Access-Control-Allow-Origin": ANY_ORIGIN if self.allow_any else origin}
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if not self.allow_any and len(self.origins) > 1:  # the answer depends on the origin
            headers["Vary"] = "Origin"
        return headers

    def preflight_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers of the 204 answering a preflight; none when its origin is not allowed."""
        origin = headers.get("Origin", "")
        if not origin or not self.allows(origin):
            return {}
        result = self._origin_headers(origin)
        result["Access-Control-Allow-Methods"] = headers.get("Access-Control-Request-Method", "").strip()
        requested = [h.strip() for h in headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()]
        if requested:  # any header is allowed: the ones asked for, comma-joined as ASP.NET writes them
            result["Access-Control-Allow-Headers"] = ",".join(requested)
        return result

    def response_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers to add to the answer of an actual request; none without an allowed Origin."""
        origin = headers.get("Origin", "")
        if not origin or not self.allows(origin):
            return {}
        return self._origin_headers(origin)

    def apply(self, response_headers: MutableMapping[str, str], request_headers: Mapping[str, str]) -> None:
        """Add the headers for an actual request to a response's headers (kept: a Vary it has)."""
        for name, value in self.response_headers(request_headers).items():
            if name == "Vary" and response_headers.get("Vary"):
                current = response_headers["Vary"]
                if "origin" not in [v.strip().lower() for v in current.split(",")]:
                    response_headers["Vary"] = f"{current}, {value}"
            else:
                response_headers[name] = value
