"""The adopter interface's own machinery, on real stores: SQL migrations with a ledger, the
default reset's foreign-key-safe order, and the Project's checks of what it is given."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualstore.errors import HarnessError, ResetError
from dualstore.isolation import BackendUnderTest
from dualstore.project import LEDGER_TABLE, Project, Store
from dualstore.provision import PROVISIONERS
from dualstore.provision.base import deletion_order, migrate
from dualstore.runinfo import RUN_INFO

PLANTED = Path(__file__).resolve().parents[1] / "adopter" / "planted"
EXAMPLE_MIGRATIONS = Path(__file__).resolve().parents[2] / "examples" / "notes" / "migrations"


@pytest.fixture
def fresh_store(
    dualstore_backend: BackendUnderTest, pytestconfig: pytest.Config
) -> Iterator[Store]:
    """An empty store of this test's own on the backend under test (named like a worker's,
    so a crash leaves nothing the reaper would not find)."""
    provisioner = PROVISIONERS[dualstore_backend.name]
    run_id = pytestconfig.stash[RUN_INFO].run_id
    store = provisioner.create_store(dualstore_backend.info, run_id, f"t{secrets.token_hex(3)}")
    try:
        yield store
    finally:
        provisioner.remove_store(store)


def _tables(store: Store) -> set[str]:
    conn = store.connect()
    try:
        return set(PROVISIONERS[store.backend].tables(conn))
    finally:
        conn.close()


def _ledger(store: Store) -> list[str]:
    conn = store.connect()
    try:
        return sorted(PROVISIONERS[store.backend].applied_migrations(conn))
    finally:
        conn.close()


def test_sql_migrations_apply_once_in_name_order(fresh_store: Store) -> None:
    project = Project(migrations=EXAMPLE_MIGRATIONS)
    provisioner = PROVISIONERS[fresh_store.backend]
    migrate(project, provisioner, fresh_store)
    migrate(project, provisioner, fresh_store)  # again: nothing new, no error
    assert _tables(fresh_store) == {"notebooks", "notes", LEDGER_TABLE}
    assert _ledger(fresh_store) == ["0001_notebooks.sql", "0002_notes.sql"]


def test_a_failing_migration_is_rolled_back_whole(fresh_store: Store, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for path in [*EXAMPLE_MIGRATIONS.glob("*.sql"), PLANTED / "0003_broken.sql"]:
        (migrations / path.name).write_bytes(path.read_bytes())
    with pytest.raises(HarnessError, match=r"migration .*0003_broken\.sql failed on .*rolled back"):
        migrate(Project(migrations=migrations), PROVISIONERS[fresh_store.backend], fresh_store)
    # the broken file's first statement did not stay; the migrations before it did
    assert _tables(fresh_store) == {"notebooks", "notes", LEDGER_TABLE}
    assert _ledger(fresh_store) == ["0001_notebooks.sql", "0002_notes.sql"]


def test_the_catalog_names_each_tables_references(fresh_store: Store) -> None:
    migrate(Project(migrations=EXAMPLE_MIGRATIONS), PROVISIONERS[fresh_store.backend], fresh_store)
    conn = fresh_store.connect()
    try:
        tables = PROVISIONERS[fresh_store.backend].tables(conn)
    finally:
        conn.close()
    assert tables == {
        "notebooks": frozenset(),
        "notes": frozenset({"notebooks"}),
        LEDGER_TABLE: frozenset(),
    }


def test_deletion_order_puts_children_before_parents_and_keeps_the_ledger() -> None:
    tables = {
        "a": frozenset(),
        "b": frozenset({"a"}),
        "c": frozenset({"b", "a"}),
        "tree": frozenset({"tree", "a"}),  # a self-reference is no obstacle
        LEDGER_TABLE: frozenset(),
    }
    order = deletion_order(tables, keep=frozenset({LEDGER_TABLE}))
    assert sorted(order) == ["a", "b", "c", "tree"]
    assert order.index("c") < order.index("b") < order.index("a")
    assert order.index("tree") < order.index("a")


def test_tables_that_reference_each_other_are_a_clear_error() -> None:
    tables = {"x": frozenset({"y"}), "y": frozenset({"x"}), "z": frozenset()}
    with pytest.raises(ResetError, match=r"tables x, y reference each other.*Project\(reset="):
        deletion_order(tables, keep=frozenset())


def test_a_project_with_a_missing_migrations_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Project.migrations: .*nowhere is not a directory"):
        Project(migrations=tmp_path / "nowhere")


def test_a_marker_alias_must_name_a_harness_marker() -> None:
    with pytest.raises(ValueError, match=r"'slow' is not a dualstore marker"):
        Project(marker_aliases={"quick": "slow"})


def test_postgres_tells_a_lost_server_from_a_query_error(closed_port: int) -> None:
    """A raw psycopg error counts as "the backend went away" only when the connection is
    the cause: a statement timeout is an OperationalError too, and must not count."""
    import psycopg  # noqa: PLC0415, TID251 - the driver's own errors are what is read here

    provisioner = PROVISIONERS["postgres"]
    with pytest.raises(psycopg.OperationalError) as refused:  # a real refused connection
        psycopg.connect(f"host=127.0.0.1 port={closed_port} dbname=x connect_timeout=2")
    assert provisioner.is_gone(refused.value)
    # the server's own SQLSTATEs, as psycopg raises them
    assert provisioner.is_gone(psycopg.errors.AdminShutdown("terminating connection"))
    assert not provisioner.is_gone(psycopg.errors.QueryCanceled("statement timeout"))
    assert not provisioner.is_gone(psycopg.errors.UniqueViolation("duplicate key"))
    assert not PROVISIONERS["sqlite"].is_gone(refused.value)
