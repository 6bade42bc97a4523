"""INTERIM minimal fixtures (to be replaced by the full harness, issue 4).

`db` is parametrized over sqlite and postgres; each test runs inside a transaction that is
rolled back. PostgreSQL comes from DUALSTORE_POSTGRES_URL or the local server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

import storage
from storage.api import Database
from storage.testing import provision

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires(capability): needs a backend capability")
    config.addinivalue_line("markers", "commits: the test needs a committing database")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def _session_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "suite.db"
        db = storage.connect(f"sqlite:///{path}")
        db.run_migrations()
        yield db
        db.close()
        return
    url = os.environ.get("DUALSTORE_POSTGRES_URL", DEFAULT_PG)
    schema = f"dualstore_interim_{uuid.uuid4().hex[:10]}"
    provision.create_schema(url, schema)
    try:
        db = storage.connect(url, schema=schema)
        db.run_migrations()
        yield db
        db.close()
    finally:
        provision.drop_schema(url, schema)


@pytest.fixture
def db(_session_db: Database) -> Iterator[Database]:
    with _session_db.transaction() as tx:
        yield _session_db
        tx.set_rollback()


@pytest.fixture
def db_committing(_session_db: Database) -> Iterator[Database]:
    _session_db.reset_data()
    yield _session_db
    _session_db.reset_data()
