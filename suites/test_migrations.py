"""Migrations: idempotent up, down to the empty baseline and up again, one fingerprint.

The fingerprint snapshot `suites/data/schema_fingerprint.json` is the same file for every
backend: each backend equal to it proves they equal each other. After changing a migration,
regenerate it from a freshly migrated database (any backend: the result must not differ)
and review the diff:

    dualstore migrate up --url sqlite:///fp.db
    dualstore fingerprint --url sqlite:///fp.db > suites/data/schema_fingerprint.json
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from storage.api import Database, JsonObject
from storage.errors import ValidationError
from suites._factories import make_document, make_workspace, migrated_afterwards

SNAPSHOT = Path(__file__).parent / "data" / "schema_fingerprint.json"
#: the version table is part of the fingerprint, even at the empty baseline
VERSION_TABLE = "schema_migrations"


def table_names(fingerprint: JsonObject) -> set[str]:
    return {table["name"] for table in fingerprint["tables"]}


def _as_json(fingerprint: JsonObject) -> Any:
    # the snapshot went through JSON: compare like with like (tuples become lists)
    return json.loads(json.dumps(fingerprint, sort_keys=True))


def _migration_files() -> list[tuple[int, str]]:
    names = (p.name for p in resources.files("storage.migrations").iterdir())
    found = (re.fullmatch(r"(\d{4})_(\w+?)\.sql", n) for n in names)
    return sorted((int(m[1]), m[2]) for m in found if m)


@pytest.fixture
def migratable(db_committing: Database) -> Iterator[Database]:
    """A committing database that is fully migrated again after the test, pass or fail."""
    with migrated_afterwards(db_committing) as db:
        yield db


def test_fingerprint_matches_the_snapshot(db: Database) -> None:
    assert _as_json(db.schema_fingerprint()) == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_fingerprint_is_stable(db: Database) -> None:
    assert db.schema_fingerprint() == db.schema_fingerprint()


def test_status_lists_every_migration_file(db: Database) -> None:
    status = db.migration_status()
    assert [(m.version, m.name) for m in status] == _migration_files()
    assert [m.version for m in status] == list(range(1, len(status) + 1))
    applied = [m.applied_at for m in status]
    assert all(a is not None and a.utcoffset() is not None for a in applied)


def test_running_migrations_again_is_a_no_op(migratable: Database) -> None:
    db = migratable
    status, fingerprint = db.migration_status(), db.schema_fingerprint()
    version = db.migration_version()
    assert db.run_migrations() == []
    assert db.run_migrations() == []
    assert db.migration_version() == version
    assert db.migration_status() == status
    assert db.schema_fingerprint() == fingerprint


def test_down_to_baseline_and_up_again(migratable: Database) -> None:
    db = migratable
    versions = [m.version for m in db.migration_status()]
    before = db.schema_fingerprint()

    assert db.migrate_down(0) == versions[::-1]
    assert db.migration_version() == 0
    assert all(m.applied_at is None for m in db.migration_status())
    assert table_names(db.schema_fingerprint()) <= {VERSION_TABLE}
    assert db.migrate_down(0) == []

    assert db.run_migrations() == versions
    assert db.migration_version() == versions[-1]
    after = db.schema_fingerprint()
    assert after == before
    assert _as_json(after) == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    # the re-created schema works
    ws = make_workspace(db)
    doc = make_document(db, ws)
    assert db.list_documents(ws.id) == [doc]


def test_one_step_at_a_time(migratable: Database) -> None:
    db = migratable
    versions = [m.version for m in db.migration_status()]
    fingerprints = {}
    for version in versions[::-1]:
        fingerprints[version] = db.schema_fingerprint()
        assert db.migrate_down(version - 1) == [version]
        assert db.migration_version() == version - 1
    for version in versions:
        assert db.run_migrations(target=version) == [version]
        assert db.migration_version() == version
        assert db.schema_fingerprint() == fingerprints[version]
        assert db.run_migrations(target=version) == []


def test_data_is_gone_after_down_and_up(migratable: Database) -> None:
    db = migratable
    make_workspace(db)
    db.migrate_down(0)
    db.run_migrations()
    assert db.list_workspaces() == []


@pytest.mark.parametrize("target", [-1, 10_000])
def test_targets_out_of_range_are_rejected(migratable: Database, target: int) -> None:
    db = migratable
    version = db.migration_version()
    with pytest.raises(ValidationError):
        db.run_migrations(target=target)
    with pytest.raises(ValidationError):
        db.migrate_down(target)
    assert db.migration_version() == version
