"""Fixtures for tests of the storage package that go beyond the shared suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from dualstore import provision
from dualstore.isolation import BackendUnderTest
from storage.api import Capability, new_id


class EmptyStore(NamedTuple):
    """A database nobody has migrated yet: a new SQLite file or a new PostgreSQL schema."""

    url: str
    schema: str | None


@pytest.fixture
def empty_store(backend: BackendUnderTest, tmp_path: Path) -> Iterator[EmptyStore]:
    if not backend.has(Capability.SERVER):
        yield EmptyStore(f"sqlite:///{tmp_path / 'fresh.db'}", None)
        return
    # Named after the worker's own schema, so a leftover is reaped with it.
    schema = f"{backend.location}_t{new_id()[:8]}"
    try:
        yield EmptyStore(backend.info.server.secret, schema)
    finally:
        provision.drop_schema(backend.info.server, schema)
