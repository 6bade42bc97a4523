"""Documents: create, get, list (code-point title order), delete with cascade."""

from __future__ import annotations

import uuid

import pytest

from storage.api import ActorKind, Database, WriteContext, new_id
from storage.errors import NotFound, ValidationError
from suites._factories import HUMAN, make_blocks, make_document, make_workspace


def test_create_and_get_round_trip(db: Database) -> None:
    ws = make_workspace(db)
    doc = db.create_document(ws.id, "Quarterly plan", HUMAN)
    assert (doc.workspace_id, doc.title) == (ws.id, "Quarterly plan")
    assert doc.created_at.tzinfo is not None
    assert db.get_document(doc.id) == doc


def test_create_records_provenance(db: Database) -> None:
    ctx = WriteContext.system("importer")
    doc = make_document(db, ctx=ctx)
    prov = doc.provenance
    assert (prov.actor_kind, prov.actor_id, prov.job_id, prov.workflow_id) == (
        ActorKind.SYSTEM,
        "importer",
        None,
        None,
    )
    assert uuid.UUID(prov.edit_event_id)


def test_each_write_gets_its_own_edit_event(db: Database) -> None:
    ws = make_workspace(db)
    first = db.create_document(ws.id, "one", HUMAN)
    second = db.create_document(ws.id, "two", HUMAN)
    assert first.provenance.edit_event_id != second.provenance.edit_event_id


def test_create_with_caller_id(db: Database) -> None:
    wanted = new_id()
    doc = db.create_document(make_workspace(db).id, "mine", HUMAN, id=wanted)
    assert doc.id == wanted


def test_create_in_missing_workspace_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_document(new_id(), "orphan", HUMAN)


@pytest.mark.parametrize("title", ["", "  ", "\n"])
def test_blank_title_is_rejected(db: Database, title: str) -> None:
    ws = make_workspace(db)
    with pytest.raises(ValidationError):
        db.create_document(ws.id, title, HUMAN)
    assert db.list_documents(ws.id) == []


def test_get_missing_returns_none(db: Database) -> None:
    assert db.get_document(new_id()) is None


def test_list_is_scoped_to_the_workspace(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    mine = make_document(db, ws, "mine")
    make_document(db, other, "theirs")
    assert db.list_documents(ws.id) == [mine]


def test_list_of_unknown_workspace_is_empty(db: Database) -> None:
    assert db.list_documents(new_id()) == []


def test_list_orders_by_title_then_id(db: Database) -> None:
    ws = make_workspace(db)
    ids = sorted([new_id(), new_id()])
    # created in reverse so insertion order cannot pass for the ordering
    b2 = db.create_document(ws.id, "b", HUMAN, id=ids[1])
    b1 = db.create_document(ws.id, "b", HUMAN, id=ids[0])
    a = db.create_document(ws.id, "a", HUMAN)
    assert [d.id for d in db.list_documents(ws.id)] == [a.id, b1.id, b2.id]


def test_delete_removes_document_and_blocks(db: Database) -> None:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    blocks = make_blocks(db, doc, ["alpha", "beta"])
    db.delete_document(doc.id, HUMAN)
    assert db.get_document(doc.id) is None
    assert db.list_documents(ws.id) == []
    assert db.list_blocks(doc.id) == []
    assert all(db.get_block(b.id) is None for b in blocks)
    assert db.search("alpha") == []


def test_delete_missing_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.delete_document(new_id(), HUMAN)


def test_delete_leaves_sibling_documents(db: Database) -> None:
    ws = make_workspace(db)
    keep, gone = make_document(db, ws, "keep"), make_document(db, ws, "gone")
    kept_blocks = make_blocks(db, keep, ["stays here"])
    db.delete_document(gone.id, HUMAN)
    assert db.list_documents(ws.id) == [keep]
    assert db.list_blocks(keep.id) == kept_blocks
