"""Rebuildable derived data: the search index and the per-workspace counters.

Expected values are computed in the test from canonical rows (`list_*` calls) with the
documented tokenizer, so the derived rows are checked against their source of truth.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.api import (
    Block,
    BlockUpdate,
    Database,
    JobFilter,
    JobState,
    NewBlock,
    Workspace,
    WorkspaceCounters,
)
from storage.errors import NotFound, ValidationError
from suites._factories import (
    HUMAN,
    Boom,
    abort,
    all_blocks,
    expected_hits,
    make_blocks,
    make_canvas,
    make_document,
    make_job,
    make_workspace,
    migrated_afterwards,
    tokens,
)

QUERIES = ["quick", "brown fox", "FOX", "lazy dog", "straße", "émile", "zebra", "the", "cat"]


def _expected_counters(db: Database, ws: Workspace) -> WorkspaceCounters:
    docs = db.list_documents(ws.id)
    return WorkspaceCounters(
        workspace_id=ws.id,
        document_count=len(docs),
        block_count=sum(len(db.list_blocks(d.id)) for d in docs),
        canvas_count=len(db.list_canvases(ws.id)),
        job_count=len(db.list_ai_jobs(JobFilter(workspace_id=ws.id, limit=1000))),
    )


def _search_ids(db: Database, query: str, ws: Workspace | None = None) -> list[str]:
    return [h.block_id for h in db.search(query, workspace_id=ws.id if ws else None, limit=1000)]


def _derived(db: Database, workspaces: list[Workspace]) -> object:
    return (
        {q: _search_ids(db, q) for q in QUERIES},
        [db.get_counters(ws.id) for ws in workspaces],
    )


def _churned_content(db: Database) -> list[Workspace]:
    """Two workspaces whose content went through every kind of block write."""
    ws, other = make_workspace(db), make_workspace(db)
    doc = make_document(db, ws, "animals")
    quick, lazy, gone = make_blocks(
        db, doc, ["The quick brown fox", "the lazy dog sleeps", "a cat that leaves"]
    )
    db.update_block(quick.id, BlockUpdate(raw_content="The quick brown FOX jumps"), HUMAN)
    db.update_block(lazy.id, BlockUpdate(display_content="display text is not indexed"), HUMAN)
    db.delete_block(gone.id, HUMAN)
    replaced = make_document(db, ws, "replaced")
    make_blocks(db, replaced, ["zebra crossing"])
    db.replace_blocks(replaced.id, [NewBlock("p", "Straße"), NewBlock("p", "brown fox")], HUMAN)
    dropped = make_document(db, ws, "dropped")
    make_blocks(db, dropped, ["cat cat cat"])
    db.delete_document(dropped.id, HUMAN)
    make_canvas(db, ws)
    make_job(db, ws)
    make_blocks(db, make_document(db, other, "names"), ["ÉMILE and the fox", "the end"])
    make_job(db, other)
    make_job(db, other)
    return [ws, other]


def test_search_finds_blocks_with_every_token(db: Database) -> None:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    both, only_fox, neither = make_blocks(db, doc, ["brown fox", "red fox", "brown bear"])
    assert _search_ids(db, "fox brown") == [both.id]
    assert sorted(_search_ids(db, "fox")) == sorted([both.id, only_fox.id])
    hits = db.search("brown fox")
    assert [(h.document_id, h.workspace_id, h.matched_tokens) for h in hits] == [(doc.id, ws.id, 2)]
    assert neither.id not in _search_ids(db, "brown fox")


def test_search_orders_by_block_id(db: Database) -> None:
    doc = make_document(db)
    ids = ["b-2", "B-1", "a_9", "b-10"]
    for block_id in ids:
        db.create_block(doc.id, NewBlock("p", "needle", id=block_id), HUMAN)
    assert _search_ids(db, "needle") == sorted(ids)


def test_search_reads_raw_content_not_display(db: Database) -> None:
    doc = make_document(db)
    db.create_block(doc.id, NewBlock("p", "visible", display_content="hidden words"), HUMAN)
    assert _search_ids(db, "hidden") == []
    assert len(_search_ids(db, "visible")) == 1


def test_search_scoped_to_workspace(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    mine = make_blocks(db, make_document(db, ws), ["shared word"])
    make_blocks(db, make_document(db, other), ["shared word"])
    assert _search_ids(db, "shared", ws) == [mine[0].id]
    assert len(_search_ids(db, "shared")) == 2


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_returns_nothing(db: Database, query: str) -> None:
    make_blocks(db, make_document(db), ["anything at all"])
    assert db.search(query) == []


def test_search_limit_keeps_the_first_ids(db: Database) -> None:
    blocks = make_blocks(db, make_document(db), ["same"] * 5)
    first_two = sorted(b.id for b in blocks)[:2]
    assert [h.block_id for h in db.search("same", limit=2)] == first_two
    assert len(db.search("same", limit=1000)) == 5


@pytest.mark.parametrize("limit", [0, -3, 1001])
def test_search_limit_out_of_range_is_rejected(db: Database, limit: int) -> None:
    with pytest.raises(ValidationError):
        db.search("x", limit=limit)


def test_index_follows_block_writes(db: Database) -> None:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    block = make_blocks(db, doc, ["before"])[0]
    db.update_block(block.id, BlockUpdate(raw_content="after"), HUMAN)
    assert (_search_ids(db, "before"), _search_ids(db, "after")) == ([], [block.id])
    db.delete_block(block.id, HUMAN)
    assert _search_ids(db, "after") == []
    new = db.replace_blocks(doc.id, [NewBlock("p", "replaced")], HUMAN)
    assert _search_ids(db, "replaced") == [new[0].id]
    db.delete_workspace(ws.id, HUMAN)
    assert _search_ids(db, "replaced") == []


def test_counters_of_a_new_workspace_are_zero(db: Database) -> None:
    ws = make_workspace(db)
    assert db.get_counters(ws.id) == WorkspaceCounters(ws.id, 0, 0, 0, 0)


def test_counters_of_missing_workspace_is_not_found(db: Database) -> None:
    ws = make_workspace(db)
    db.delete_workspace(ws.id, HUMAN)
    with pytest.raises(NotFound):
        db.get_counters(ws.id)


def test_counters_follow_every_write(db: Database) -> None:
    for ws in _churned_content(db):
        assert db.get_counters(ws.id) == _expected_counters(db, ws)


def test_counters_after_each_operation_that_changes_them(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)

    def counted(documents: int, blocks: int, canvases: int, jobs: int) -> None:
        assert db.get_counters(ws.id) == WorkspaceCounters(ws.id, documents, blocks, canvases, jobs)
        assert db.get_counters(ws.id) == _expected_counters(db, ws)
        # nothing leaks into another workspace
        assert db.get_counters(other.id) == WorkspaceCounters(other.id, 0, 0, 0, 0)

    doc = make_document(db, ws)
    counted(1, 0, 0, 0)
    first, second, _ = make_blocks(db, doc, ["a", "b", "c"])
    counted(1, 3, 0, 0)
    db.delete_block(first.id, HUMAN)
    counted(1, 2, 0, 0)
    db.update_block(second.id, BlockUpdate(raw_content="changed"), HUMAN)
    counted(1, 2, 0, 0)
    db.replace_blocks(doc.id, [NewBlock("p", t) for t in "wxyz"], HUMAN)
    counted(1, 4, 0, 0)
    db.replace_blocks(doc.id, [NewBlock("p", "one")], HUMAN)
    counted(1, 1, 0, 0)
    canvas, kept = make_canvas(db, ws), make_canvas(db, ws)
    counted(1, 1, 2, 0)
    db.delete_canvas(canvas.id, HUMAN)
    counted(1, 1, 1, 0)
    assert db.get_canvas(kept.id) is not None
    make_job(db, ws, state=JobState.COMPLETED)
    make_job(db, ws, state=JobState.FAILED)
    make_job(db)  # a job of no workspace counts nowhere
    counted(1, 1, 1, 2)
    report = db.prune_ai_jobs(datetime.now(UTC) + timedelta(days=1), min_versions=0)
    assert len(report.deleted_job_ids) == 2
    counted(1, 1, 1, 0)
    second_doc = make_document(db, ws)
    make_blocks(db, second_doc, ["p", "q"])
    counted(2, 3, 1, 0)
    db.delete_document(second_doc.id, HUMAN)
    counted(1, 1, 1, 0)
    db.delete_document(doc.id, HUMAN)
    counted(0, 0, 1, 0)


def test_search_without_a_limit_returns_the_first_50(db: Database) -> None:
    blocks = make_blocks(db, make_document(db), ["same"] * 51)
    hits = db.search("same")
    assert [h.block_id for h in hits] == sorted(b.id for b in blocks)[:50]
    assert len(db.search("same", limit=51)) == 51


def test_search_matches_canonical_rows_after_churn(db: Database) -> None:
    workspaces = _churned_content(db)
    blocks = [b for ws in workspaces for b in all_blocks(db, ws)]
    for query in QUERIES:
        assert _search_ids(db, query) == expected_hits(blocks, query), query


def test_rebuild_equals_the_incremental_index(db: Database) -> None:
    workspaces = _churned_content(db)
    before = _derived(db, workspaces)
    first = db.rebuild_indexes()
    assert _derived(db, workspaces) == before
    second = db.rebuild_indexes()
    assert _derived(db, workspaces) == before
    assert first == second


def test_rebuild_report_counts_canonical_rows(db: Database) -> None:
    workspaces = _churned_content(db)
    blocks = [b for ws in workspaces for b in all_blocks(db, ws)]
    report = db.rebuild_indexes()
    assert report.blocks_indexed == len(blocks)
    assert report.tokens_written == sum(len(tokens(b.raw_content)) for b in blocks)
    assert report.workspaces_counted == len(db.list_workspaces())


def test_rebuild_of_an_empty_database(db: Database) -> None:
    report = db.rebuild_indexes()
    assert (report.blocks_indexed, report.tokens_written, report.workspaces_counted) == (0, 0, 0)


def all_blocks_of(db: Database, workspaces: list[Workspace]) -> list[Block]:
    return [b for ws in workspaces for b in all_blocks(db, ws)]


def test_rebuild_repairs_derived_rows_lost_to_a_migration(db_committing: Database) -> None:
    # There is no API to damage derived rows, and that is on purpose. The one supported
    # route that loses them is reverting and re-applying the migration that creates them
    # while the canonical rows stay: derived data is never migrated, only rebuilt.
    db = db_committing
    workspaces = _churned_content(db)
    blocks = all_blocks_of(db, workspaces)
    expected = (
        {q: expected_hits(blocks, q) for q in QUERIES},
        [_expected_counters(db, ws) for ws in workspaces],
    )
    assert _derived(db, workspaces) == expected
    newest = db.migration_version()
    derived = next(m.version for m in db.migration_status() if m.name == "derived_indexes")
    with migrated_afterwards(db):
        assert db.migrate_down(derived - 1) == list(range(newest, derived - 1, -1))
        db.run_migrations()
    # Later migrations are reverted on the way and lose the columns they add (0004: the
    # provenance of workspaces), never a canonical row.
    canonical = ([(w.id, w.name) for w in db.list_workspaces()], all_blocks_of(db, workspaces))
    if canonical != ([(w.id, w.name) for w in workspaces], blocks):
        pytest.fail("reverting the derived tables lost canonical rows: no route to damage them")
    report = db.rebuild_indexes()
    assert _derived(db, workspaces) == expected
    assert report.blocks_indexed == len(blocks)
    assert db.rebuild_indexes() == report


# ---------------------------------------------------------------- derived rows of a transaction
# A transaction's derived rows are held until it commits (see storage.backends._core); what a
# transaction reads and what it commits are as if each write had written them at once.


def test_a_rolled_back_inner_transaction_takes_only_its_own_derived_rows(
    db_committing: Database,
) -> None:
    db = db_committing
    ws = make_workspace(db)
    doc = make_document(db, ws)
    with db.transaction():
        [kept] = make_blocks(db, doc, ["alpha kept"])
        with db.transaction() as inner:  # (nothing read in it: it ends holding its rows)
            make_blocks(db, doc, ["alpha dropped"])
            inner.set_rollback()
        with pytest.raises(Boom):
            abort(db, lambda: make_blocks(db, doc, ["alpha raised"]))
        assert _search_ids(db, "alpha") == [kept.id]
        assert db.get_counters(ws.id).block_count == 1
    assert _search_ids(db, "alpha") == [kept.id]
    assert db.get_counters(ws.id) == _expected_counters(db, ws)


def test_blocks_written_and_undone_in_one_transaction_commit_their_last_state(
    db_committing: Database,
) -> None:
    db = db_committing
    ws, gone = make_workspace(db), make_workspace(db)
    with db.transaction():
        doc = make_document(db, ws)
        changed, deleted = make_blocks(db, doc, ["before", "deleted"])
        db.update_block(changed.id, BlockUpdate(raw_content="after"), HUMAN)
        db.delete_block(deleted.id, HUMAN)
        # a workspace whose counters and postings are held when it is deleted
        make_blocks(db, make_document(db, gone), ["gone"])
        db.delete_workspace(gone.id, HUMAN)
    assert [_search_ids(db, q) for q in ("before", "deleted", "gone")] == [[], [], []]
    assert _search_ids(db, "after") == [changed.id]
    assert db.get_counters(ws.id) == WorkspaceCounters(ws.id, 1, 1, 0, 0)
    assert db.rebuild_indexes().tokens_written == 1  # nothing stale for a rebuild to drop
    assert _search_ids(db, "after") == [changed.id]
