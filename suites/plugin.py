"""This repository's adapter to the dualstore harness: the plugin the suites run under.

The root conftest.py lists it (`pytest_plugins = ["suites.plugin", ...]`), and so does
every temp project of the harness's own tests. It opts into the harness and plugs the
`storage` package in: its migrations (`Database.run_migrations`), its `Database` as the
handle tests receive, its transactions as the rollback isolation, `reset_data()` as the
committing tests' reset, its capabilities, and `storage.errors.Unavailable` as "the
backend went away". The suites use the short names it gives the harness's fixtures,
markers and flags:

    db, db_committing, backend        -> dualstore_db, dualstore_db_committing,
                                         dualstore_backend
    @pytest.mark.commits / requires   -> dualstore_commits / dualstore_requires
    --backend, --postgres-url         -> --dualstore-backend, --dualstore-postgres-url
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import storage
from dualstore import options
from dualstore.isolation import BackendUnderTest
from dualstore.project import COMMITS_MARKER, REQUIRES_MARKER, Project, Store
from storage.api import Capability, Database
from storage.errors import Unavailable

#: the harness, and the hypothesis profiles of the differential suite (its example budget:
#: `--hypothesis-profile dualstore-fuzz` for `nox -s fuzz`)
pytest_plugins = ["dualstore.plugin", "suites._profiles"]


def connect(store: Store) -> Database:
    """The worker's store as a `storage.Database`."""
    return storage.connect(store.url, schema=store.schema)


def migrate(store: Store) -> None:
    db = connect(store)
    try:
        db.run_migrations()
    finally:
        db.close()


@contextmanager
def rolled_back(db: Database) -> Iterator[Database]:
    """One outer transaction, rolled back: the test's own transactions nest inside it as
    savepoints, so they behave as in production."""
    with db.transaction() as tx:
        yield db
        tx.set_rollback()


def capabilities(store: Store) -> frozenset[str]:
    db = connect(store)
    try:
        return frozenset(str(c) for c in db.capabilities)
    finally:
        db.close()


PROJECT = Project(
    migrations=migrate,
    handle=connect,
    close=lambda db: db.close(),
    rollback=rolled_back,
    reset=lambda store, db: db.reset_data(),
    capabilities=capabilities,
    known_capabilities=frozenset(c.value for c in Capability),
    unavailable=(Unavailable,),
    marker_aliases={"commits": COMMITS_MARKER, "requires": REQUIRES_MARKER},
)


def pytest_dualstore_project(config: pytest.Config) -> Project:
    return PROJECT


def pytest_addoption(parser: pytest.Parser) -> None:
    options.alias(parser, "--backend", "--dualstore-backend")
    options.alias(parser, "--postgres-url", "--dualstore-postgres-url")


@pytest.fixture
def backend(dualstore_backend: BackendUnderTest) -> BackendUnderTest:
    """The backend this test runs on (`dualstore_backend`)."""
    return dualstore_backend


@pytest.fixture
def db(dualstore_db: Database) -> Database:
    """A migrated, empty `storage.Database`, rolled back after the test (`dualstore_db`)."""
    return dualstore_db


@pytest.fixture
def db_committing(dualstore_db_committing: Database) -> Database:
    """A `storage.Database` whose writes commit; reset after the test."""
    return dualstore_db_committing
