"""Transactions: nesting as savepoints, rollback on error, atomic multi-row methods."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.api import (
    Database,
    NewBlock,
    NewCanvasEdge,
    NewCanvasNode,
    Transaction,
    Workspace,
    new_id,
)
from storage.errors import Conflict, GuardError, NotFound, StorageError, ValidationError
from suites._factories import (
    HUMAN,
    INT64_MAX,
    SILENT_AI,
    Boom,
    abort,
    make_blocks,
    make_canvas,
    make_document,
    make_workspace,
    unique,
)


def test_transaction_yields_a_transaction(db: Database) -> None:
    with db.transaction() as tx:
        assert isinstance(tx, Transaction)


def test_nested_exception_rolls_back_the_inner_level_only(db: Database) -> None:
    with db.transaction():
        outer = make_workspace(db)
        inner_name = unique("inner")
        with pytest.raises(Boom):
            abort(db, lambda: db.create_workspace(inner_name, HUMAN))
        after = make_workspace(db)
    assert db.list_workspaces() == [outer, after]


def test_nested_set_rollback_rolls_back_the_inner_level_only(db: Database) -> None:
    with db.transaction():
        outer = make_workspace(db)
        with db.transaction() as inner:
            make_workspace(db)
            inner.set_rollback()
    assert db.list_workspaces() == [outer]


def _nested_write(db: Database) -> None:
    with db.transaction():
        make_workspace(db)


def test_three_levels_roll_back_independently(db: Database) -> None:
    with db.transaction():
        first = make_workspace(db)
        with db.transaction():
            second = make_workspace(db)
            with db.transaction() as third:
                make_workspace(db)
                third.set_rollback()
        with pytest.raises(Boom):
            abort(db, lambda: make_workspace(db), lambda: _nested_write(db))
    assert db.list_workspaces() == [first, second]


def test_exception_rolls_back_the_whole_transaction(db: Database) -> None:
    with pytest.raises(Boom):
        abort(db, lambda: make_document(db))
    assert db.list_workspaces() == []


def test_set_rollback_discards_without_an_exception(db: Database) -> None:
    with db.transaction() as tx:
        make_workspace(db)
        tx.set_rollback()
    assert db.list_workspaces() == []


FailingCall = tuple[type[StorageError], Callable[[Database, Workspace], object]]
FAILING_CALLS: dict[str, FailingCall] = {
    "conflict": (Conflict, lambda db, ws: db.create_workspace(ws.name, HUMAN)),
    "not-found": (NotFound, lambda db, _: db.create_document(new_id(), "t", HUMAN)),
    "validation": (ValidationError, lambda db, _: db.create_workspace("bad\x00name", HUMAN)),
    "guard": (GuardError, lambda db, ws: db.create_canvas(ws.id, "t", SILENT_AI)),
}


@pytest.mark.parametrize("failure", FAILING_CALLS.values(), ids=FAILING_CALLS.keys())
def test_failing_method_leaves_the_callers_transaction_usable(
    db: Database, failure: FailingCall
) -> None:
    error, call = failure
    with db.transaction():
        before = make_workspace(db)
        with pytest.raises(error):
            call(db, before)
        after = make_workspace(db)  # the transaction is not aborted
    assert db.list_workspaces() == [before, after]


# --------------------------------------------------------------------------- replace_blocks

BadBlock = tuple[type[StorageError], Callable[[list[NewBlock]], NewBlock]]
BAD_THIRD_BLOCK: dict[str, BadBlock] = {
    "nul-in-raw": (ValidationError, lambda _: NewBlock("p", "bad\x00text")),
    "nul-in-display": (ValidationError, lambda _: NewBlock("p", "ok", display_content="\x00")),
    "blank-kind": (ValidationError, lambda _: NewBlock(" ", "text")),
    "sequence-overflow": (ValidationError, lambda _: NewBlock("p", "t", sequence=INT64_MAX + 1)),
    "duplicate-id": (Conflict, lambda given: NewBlock("p", "t", id=given[0].id)),
    "duplicate-sequence": (Conflict, lambda _: NewBlock("p", "t", sequence=1)),
    "nan-json": (
        ValidationError,
        lambda _: NewBlock("p", "t", derived_content={"x": float("nan")}),
    ),
}


@pytest.mark.parametrize("bad", BAD_THIRD_BLOCK.values(), ids=BAD_THIRD_BLOCK.keys())
def test_replace_blocks_is_all_or_nothing(db: Database, bad: BadBlock) -> None:
    error, make_bad = bad
    ws = make_workspace(db)
    doc = make_document(db, ws)
    old = make_blocks(db, doc, ["old one", "old two"])
    given = [NewBlock("p", "new one"), NewBlock("p", "new two")]
    with pytest.raises(error):
        db.replace_blocks(doc.id, [*given, make_bad(given)], HUMAN)
    assert db.list_blocks(doc.id) == old
    assert [h.block_id for h in db.search("old")] == sorted(b.id for b in old)
    assert db.search("new") == []
    assert db.get_counters(ws.id).block_count == 2


def test_replace_blocks_with_an_id_of_another_document_changes_neither(db: Database) -> None:
    ws = make_workspace(db)
    doc, other = make_document(db, ws, "a"), make_document(db, ws, "b")
    old, theirs = make_blocks(db, doc, ["mine"]), make_blocks(db, other, ["theirs"])
    with pytest.raises(Conflict):
        db.replace_blocks(doc.id, [NewBlock("p", "x"), NewBlock("p", "y", id=theirs[0].id)], HUMAN)
    assert (db.list_blocks(doc.id), db.list_blocks(other.id)) == (old, theirs)


# --------------------------------------------------------------------------- update_canvas_graph

Graph = tuple[list[NewCanvasNode], list[NewCanvasEdge]]
BAD_GRAPH: dict[str, Callable[[list[NewCanvasNode]], Graph]] = {
    "nul-in-kind": lambda n: ([*n, NewCanvasNode("bad\x00")], []),
    "x-overflow": lambda n: ([*n, NewCanvasNode("k", x=INT64_MAX + 1)], []),
    "y-underflow": lambda n: ([*n, NewCanvasNode("k", y=-(2**63) - 1)], []),
    "duplicate-node": lambda n: ([*n, NewCanvasNode("k", id=n[0].id)], []),
    "dangling-edge": lambda n: (
        n,
        [NewCanvasEdge(n[0].id, n[1].id), NewCanvasEdge(n[0].id, "nope")],
    ),
    "nul-in-label": lambda n: (n, [NewCanvasEdge(n[0].id, n[1].id, label="a\x00b")]),
    "nan-in-data": lambda n: ([*n, NewCanvasNode("k", data={"v": float("nan")})], []),
}


@pytest.mark.parametrize("make_bad", BAD_GRAPH.values(), ids=BAD_GRAPH.keys())
def test_update_canvas_graph_is_all_or_nothing(
    db: Database,
    make_bad: Callable[[list[NewCanvasNode]], Graph],
) -> None:
    canvas = make_canvas(db, make_workspace(db))
    a, b = NewCanvasNode("a"), NewCanvasNode("b")
    before = db.update_canvas_graph(canvas.id, [a, b], [NewCanvasEdge(a.id, b.id)], HUMAN)
    nodes, edges = make_bad([NewCanvasNode("c"), NewCanvasNode("d")])
    with pytest.raises(ValidationError):
        db.update_canvas_graph(canvas.id, nodes, edges, HUMAN)
    assert db.get_canvas(canvas.id) == before


# --------------------------------------------------------------------------- real commits


def test_committed_transaction_is_visible(db_committing: Database) -> None:
    db = db_committing
    with db.transaction():
        ws = make_workspace(db)
        make_document(db, ws)
    assert db.list_workspaces() == [ws]
    assert len(db.list_documents(ws.id)) == 1


def test_rolled_back_commits_nothing(db_committing: Database) -> None:
    db = db_committing
    with pytest.raises(Boom):
        abort(db, lambda: make_document(db))
    assert db.list_workspaces() == []


def test_failed_method_outside_a_transaction_commits_nothing(db_committing: Database) -> None:
    db = db_committing
    doc = make_document(db)
    old = make_blocks(db, doc, ["kept"])
    with pytest.raises(ValidationError):
        db.replace_blocks(doc.id, [NewBlock("p", "a"), NewBlock("p", "\x00")], HUMAN)
    assert db.list_blocks(doc.id) == old
    # and the connection is usable for the next call
    assert db.create_block(doc.id, NewBlock("p", "next"), HUMAN).sequence == 1
