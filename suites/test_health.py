"""Health, identity and the shape of the API on every backend."""

from __future__ import annotations

import ast
import functools
from datetime import timedelta
from pathlib import Path

import pytest

from storage.api import Backend, Capability, Database, iter_protocol_methods
from suites._factories import make_workspace

SUITES = Path(__file__).parent


def test_ping_answers(db: Database) -> None:
    db.ping()  # raises a StorageError if the database does not answer
    with db.transaction():
        db.ping()


def test_server_version_is_named(db: Database) -> None:
    version = db.server_version()
    assert isinstance(version, str)
    assert version.strip()


def test_database_satisfies_the_protocol(db: Database) -> None:
    assert isinstance(db, Database)
    assert isinstance(db.backend, Backend)
    assert isinstance(db.capabilities, frozenset)
    assert all(isinstance(cap, Capability) for cap in db.capabilities)


@functools.cache
def _methods_called_by_suites() -> set[str]:
    called: set[str] = set()
    for path in SUITES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called.add(node.func.attr)
    return called


# `close` belongs to the harness: the shared fixture must stay open, so no suite calls it.
HARNESS_ONLY = {"close"}


@pytest.mark.parametrize("method", sorted(iter_protocol_methods()))
def test_every_protocol_method_is_implemented_and_exercised(db: Database, method: str) -> None:
    assert callable(getattr(db, method))
    # Guards the suites themselves: a method added to the protocol needs a conformance test.
    assert method in HARNESS_ONLY or method in _methods_called_by_suites()


def test_fixture_starts_empty(db: Database) -> None:
    # Each test starts from a migrated, empty database whatever ran before it.
    assert db.list_workspaces() == []
    assert db.list_ai_jobs() == []
    assert db.find_stalled_workflows(timedelta(0)) == []
    assert db.search("anything") == []


def test_migration_version_matches_status(db: Database) -> None:
    status = db.migration_status()
    assert status, "at least one migration exists"
    assert db.migration_version() == max(m.version for m in status) >= 1
    assert all(m.applied_at is not None for m in status)


def test_reset_data_empties_tables_and_keeps_schema(db: Database) -> None:
    version = db.migration_version()
    fingerprint = db.schema_fingerprint()
    make_workspace(db)
    db.reset_data()
    assert db.list_workspaces() == []
    assert db.migration_version() == version
    assert db.schema_fingerprint() == fingerprint
    # the schema still works after the reset
    assert make_workspace(db).id in {w.id for w in db.list_workspaces()}
