"""Function keys: which key each auth level accepts, generated keys, where keys are read."""

from __future__ import annotations

import pytest

from quickfunc.host.auth import KeyRing, key_from_request, normalise_level
from quickfunc.host.config import KeySettings

RING = KeyRing("master", "host", {"special": "own"})


@pytest.mark.parametrize(
    "level, key, allowed",
    [
        ("anonymous", None, True),
        ("ANONYMOUS", "anything", True),
        ("function", None, False),
        ("function", "", False),
        ("function", "wrong", False),
        ("function", "host", True),
        ("function", "master", True),
        ("function", "own", False),  # another function's key
        ("admin", "host", False),
        ("admin", "master", True),
        ("system", "master", True),
    ],
)
def test_levels_and_keys(level, key, allowed):
    assert RING.allows(level, "other", key) is allowed


def test_a_function_key_opens_only_its_own_function_in_any_case():
    assert RING.allows("function", "Special", "own")
    assert not RING.allows("function", "other", "own")


def test_levels_default_to_function():
    assert normalise_level(None) == "function"
    assert normalise_level("FUNCTION") == "function"
    assert normalise_level("Admin") == "admin"


def test_missing_keys_are_generated_and_configured_ones_kept():
    ring = KeyRing.from_settings(KeySettings(host_key="h"))
    assert ring.host_key == "h"
    assert len(ring.master_key) >= 32 and ring.generated == ["master"]
    other = KeyRing.from_settings(KeySettings())
    assert other.master_key != ring.master_key and set(other.generated) == {"master", "host"}


def test_the_header_comes_before_the_code_query_parameter():
    assert key_from_request({"x-functions-key": "h"}, {"code": "q"}) == "h"
    assert key_from_request({}, {"code": "q"}) == "q"
    assert key_from_request({}, {}) is None


def test_keys_are_compared_in_constant_time_with_no_early_exit(monkeypatch):
    """Every candidate key goes through hmac.compare_digest, even after one matched."""
    import hmac

    import quickfunc.host.auth as auth

    calls = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", recording)
    assert RING.allows("function", "special", "master") is True  # the first candidate matches
    assert [b for _, b in calls] == [b"master", b"host", b"own"]
    calls.clear()
    assert RING.allows("function", "special", "nope") is False
    assert len(calls) == 3 and all(a == b"nope" for a, _ in calls)
