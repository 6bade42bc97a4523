"""What the API sends to PostgreSQL for a transaction's writes, read from libpq's own trace:
the canonical rows at once, the derived-index rows (search postings, counters) once, when
the transaction commits, and never for one that is rolled back, as every test's is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import storage
from dualstore.isolation import BackendUnderTest
from dualstore.provision.floors import Counted, StatementTrace
from storage.api import Capability, Database, NewBlock, WriteContext

pytestmark = pytest.mark.requires(Capability.SERVER)

HUMAN = WriteContext.human("t")
DERIVED = ("search_tokens", "workspace_counters")


@pytest.fixture
def traced(
    db_committing: Database, backend: BackendUnderTest
) -> Iterator[tuple[Database, StatementTrace]]:
    """A connection of its own to the test's (committing) store, whose statements a trace
    can count."""
    trace = StatementTrace()
    with trace.installed():
        db = storage.connect(backend.info.server.secret, schema=backend.location)
        try:
            db.ping()  # (its connection is open before a count starts)
            yield db, trace
        finally:
            db.close()


def _write(db: Database) -> list[str]:
    """A workspace, a document and 3 blocks of 2 tokens each; the blocks' ids."""
    workspace = db.create_workspace("w", HUMAN)
    document = db.create_document(workspace.id, "d", HUMAN)
    return [
        db.create_block(document.id, NewBlock("p", f"word{n} shared"), HUMAN).id for n in range(3)
    ]


def _derived(counted: Counted) -> list[str]:
    return [t.split(" (")[0] for t in counted.texts if any(name in t for name in DERIVED)]


def test_a_rolled_back_transaction_sends_its_canonical_rows_only(
    traced: tuple[Database, StatementTrace],
) -> None:
    db, trace = traced
    with trace.count() as counted, db.transaction() as tx:
        _write(db)
        tx.set_rollback()
    assert [t.split(" ")[0] for t in counted.texts] == ["BEGIN", *["INSERT"] * 5, "ROLLBACK"]
    assert _derived(counted) == []


def test_a_committed_transaction_sends_its_derived_rows_once_before_commit(
    traced: tuple[Database, StatementTrace],
) -> None:
    db, trace = traced
    with trace.count() as counted, db.transaction():
        blocks = _write(db)
    # 6 postings (one per block and token), then one counters upsert for the workspace's
    # document and its 3 blocks together: after the canonical rows, before COMMIT
    postings = ["INSERT INTO search_tokens"] * 6
    assert _derived(counted) == [*postings, "INSERT INTO workspace_counters"]
    assert counted.texts[-1] == "COMMIT"
    assert counted.total == 1 + 5 + len(postings) + 1 + 1
    assert [h.block_id for h in db.search("shared")] == sorted(blocks)


def test_replace_blocks_sends_its_canonical_statements_after_what_was_held(
    traced: tuple[Database, StatementTrace],
) -> None:
    db, trace = traced
    with db.transaction() as tx:
        document = db.create_document(db.create_workspace("w", HUMAN).id, "d", HUMAN)
        with trace.count() as counted:
            db.replace_blocks(document.id, [NewBlock("p", "one"), NewBlock("p", "two")], HUMAN)
        tx.set_rollback()
    # The counters the workspace's document changed go in before the savepoint opens; in
    # it, nothing but the read, the delete and the inserts (no DELETE of postings for
    # blocks just made: they have none); the new blocks' rows are held again.
    assert [" ".join(t.split()[:3]) for t in counted.texts] == [
        "INSERT INTO workspace_counters",
        "SAVEPOINT sp_1",
        "SELECT id, workspace_id,",
        "DELETE FROM blocks",
        "INSERT INTO blocks",
        "INSERT INTO blocks",
        "RELEASE SAVEPOINT sp_1",
    ]
