"""The migration runner: splitting, discovery, and what a failing migration leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

import storage
from storage.backends import open_database
from storage.backends._base import SqlDatabase
from storage.backends._driver import Settings
from storage.backends._sql import RESET_DATA, VERSION_TABLE_NAME
from storage.errors import MigrationError, StorageError
from storage.migrations.files import load_migrations, split_statements

SHIPPED = load_migrations(Path(storage.__file__).parent / "migrations")
# Test migration sets are assembled from the shipped files (no SQL outside storage/).
CORE_UP = ";\n".join(SHIPPED[0].statements())
CORE_DOWN = ";\n".join(SHIPPED[0].statements(down=True))
JOBS_UP = ";\n".join(SHIPPED[1].statements())
JOBS_DOWN = ";\n".join(SHIPPED[1].statements(down=True))
CORE_TABLES = {"workspaces", "documents", "blocks", "canvases", "canvas_nodes", "canvas_edges"}
JOBS_TABLES = {"ai_jobs", "workflow_runs", "node_executions"}
# Creates ai_jobs, then fails: the core's first table exists already.
BROKEN_UP = f"{SHIPPED[1].statements()[0]};\n{SHIPPED[0].statements()[0]}"
# Drops the jobs tables, then fails dropping one of them a second time.
BROKEN_DOWN = f"{JOBS_DOWN};\n{SHIPPED[1].statements(down=True)[0]}"


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _open(store: tuple[str, str | None], migrations: Path) -> SqlDatabase:
    url, schema = store
    return open_database(storage.parse_url(url), Settings(schema=schema), migrations_dir=migrations)


def _tables(db: SqlDatabase) -> set[str]:
    return {t["name"] for t in db.schema_fingerprint()["tables"]}


def test_split_respects_quotes_and_comments() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (note TEXT DEFAULT 'x;y', "odd;name" TEXT);
    /* block; comment */ INSERT INTO a VALUES ('it''s; fine', 'z');
    ;
    -- trailing comment only
    """
    assert split_statements(script) == [
        """CREATE TABLE a (note TEXT DEFAULT 'x;y', "odd;name" TEXT)""",
        "INSERT INTO a VALUES ('it''s; fine', 'z')",
    ]


def test_the_shipped_migrations_load_in_order() -> None:
    migrations = load_migrations(Path(storage.__file__).parent / "migrations")
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert all(m.statements() and m.statements(down=True) for m in migrations)


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"0001_a.sql": CORE_UP}, "has no 0001_a.down.sql"),
        (
            {"0001_a.sql": "", "0001_a.down.sql": "", "0003_c.sql": "", "0003_c.down.sql": ""},
            "expected 0002",
        ),
        ({"1_a.sql": "", "1_a.down.sql": ""}, "not NNNN_name.sql"),
    ],
)
def test_malformed_migration_sets_are_refused(
    tmp_path: Path, files: dict[str, str], fragment: str
) -> None:
    with pytest.raises(MigrationError, match=fragment):
        load_migrations(_write(tmp_path / "m", files))


def test_a_failing_migration_leaves_the_previous_version(
    empty_store: tuple[str, str | None], tmp_path: Path
) -> None:
    files = {"0001_core.sql": CORE_UP, "0001_core.down.sql": CORE_DOWN}
    files |= {"0002_broken.sql": BROKEN_UP, "0002_broken.down.sql": JOBS_DOWN}
    migrations = _write(tmp_path / "m", files)
    db = _open(empty_store, migrations)
    try:
        assert db.migration_version() == 0
        with pytest.raises(MigrationError) as failed:
            db.run_migrations()
        message = str(failed.value)
        assert "0002_broken.sql" in message
        assert "statement 2" in message
        assert " ".join(SHIPPED[0].statements()[0].split()) in message
        assert isinstance(failed.value.__cause__, StorageError)
        assert db.migration_version() == 1
        # ai_jobs, created by the failing file's first statement, was rolled back with it
        assert _tables(db) == {VERSION_TABLE_NAME, *CORE_TABLES}
        assert [m.applied_at is None for m in db.migration_status()] == [False, True]

        (migrations / "0002_broken.sql").write_text(JOBS_UP, encoding="utf-8")
        assert db.run_migrations() == [2]
        assert db.run_migrations() == []
        assert _tables(db) == {VERSION_TABLE_NAME, *CORE_TABLES, *JOBS_TABLES}
    finally:
        db.close()


def test_a_failing_down_migration_keeps_the_version(
    empty_store: tuple[str, str | None], tmp_path: Path
) -> None:
    files = {"0001_core.sql": CORE_UP, "0001_core.down.sql": CORE_DOWN}
    files |= {"0002_jobs.sql": JOBS_UP, "0002_jobs.down.sql": BROKEN_DOWN}
    db = _open(empty_store, _write(tmp_path / "m", files))
    try:
        assert db.run_migrations() == [1, 2]
        with pytest.raises(MigrationError, match=r"0002_jobs\.down\.sql failed at statement 4"):
            db.migrate_down(0)
        assert db.migration_version() == 2
        assert _tables(db) == {VERSION_TABLE_NAME, *CORE_TABLES, *JOBS_TABLES}
    finally:
        db.close()


def test_up_to_a_target_then_down_to_the_baseline(empty_store: tuple[str, str | None]) -> None:
    url, schema = empty_store
    db = storage.connect(url, schema=schema)
    try:
        assert db.run_migrations(1) == [1]
        assert db.migration_version() == 1
        assert db.run_migrations() == [v for v in range(2, len(db.migration_status()) + 1)]
        assert db.migrate_down(0) == list(range(db.migration_status()[-1].version, 0, -1))
        assert _tables(db) == {VERSION_TABLE_NAME}  # type: ignore[arg-type]
    finally:
        db.close()


def test_reset_data_covers_every_application_table(db: storage.Database) -> None:
    tables = {t["name"] for t in db.schema_fingerprint()["tables"]} - {VERSION_TABLE_NAME}
    reset = {statement.removeprefix("DELETE FROM ") for statement in RESET_DATA}
    assert reset == tables


def test_a_database_newer_than_the_code_is_refused(
    empty_store: tuple[str, str | None], tmp_path: Path
) -> None:
    core = {"0001_core.sql": CORE_UP, "0001_core.down.sql": CORE_DOWN}
    both = _write(
        tmp_path / "both", core | {"0002_jobs.sql": JOBS_UP, "0002_jobs.down.sql": JOBS_DOWN}
    )
    older = _write(tmp_path / "older", core)
    newer_db = _open(empty_store, both)
    try:
        assert newer_db.run_migrations() == [1, 2]
    finally:
        newer_db.close()
    old_code = _open(empty_store, older)
    try:
        with pytest.raises(MigrationError, match="at version 2, newer than the 1 migrations"):
            old_code.run_migrations()
        assert old_code.migration_version() == 2
        with pytest.raises(MigrationError, match="no migration file for applied version 0002"):
            old_code.migrate_down(0)
    finally:
        old_code.close()
