"""The store under test, once per backend: the embedded sqlite store and a real Azurite."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from quickfunc.host.storage.interface import StorageBackend

StoreFactory = Callable[[], StorageBackend]


@pytest.fixture(params=["embedded", "azurite"])
def make_store(request: pytest.FixtureRequest, tmp_path) -> StoreFactory:
    """Builds the backend inside the test's event loop (the SDK's sessions belong to a loop)."""
    if request.param == "embedded":
        from quickfunc.host.storage.embedded import EmbeddedStorage

        return lambda: EmbeddedStorage(str(tmp_path / "store" / "storage.db"))
    server = request.getfixturevalue("azurite")
    from quickfunc.host.storage.azure import AzureStorage

    return lambda: AzureStorage(server.connection_string, "Azurite")


@pytest.fixture
def name() -> str:
    """A queue or container name no other test uses (Azurite is shared by the session)."""
    return f"t-{uuid.uuid4().hex[:20]}"
