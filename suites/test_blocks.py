"""Blocks: create (defaults), list in sequence order, get, update, delete, replace."""

from __future__ import annotations

import uuid

import pytest

from storage.api import ActorKind, BlockUpdate, Database, NewBlock, new_id
from storage.errors import Conflict, NotFound, ValidationError
from suites._factories import HUMAN, ai_ctx, make_blocks, make_document, make_workspace


def test_create_applies_defaults(db: Database) -> None:
    doc = make_document(db)
    block = db.create_block(doc.id, NewBlock("paragraph", "hello"), HUMAN)
    assert block.document_id == doc.id
    assert block.display_content == "hello"
    assert block.derived_content == {}
    assert block.sequence == 0
    assert db.get_block(block.id) == block


def test_create_keeps_explicit_fields(db: Database) -> None:
    doc = make_document(db)
    wanted = NewBlock(
        "heading",
        "# Title",
        display_content="Title",
        derived_content={"level": 1, "anchors": ["title"]},
        sequence=7,
        id=new_id(),
    )
    block = db.create_block(doc.id, wanted, HUMAN)
    assert (block.id, block.kind, block.raw_content) == (wanted.id, "heading", "# Title")
    assert (block.display_content, block.sequence) == ("Title", 7)
    assert block.derived_content == {"level": 1, "anchors": ["title"]}


def test_sequence_defaults_to_one_past_the_highest(db: Database) -> None:
    doc = make_document(db)
    db.create_block(doc.id, NewBlock("p", "a", sequence=10), HUMAN)
    db.create_block(doc.id, NewBlock("p", "b", sequence=3), HUMAN)
    assert db.create_block(doc.id, NewBlock("p", "c"), HUMAN).sequence == 11


def test_sequences_are_per_document(db: Database) -> None:
    ws = make_workspace(db)
    one, two = make_document(db, ws, "one"), make_document(db, ws, "two")
    db.create_block(one.id, NewBlock("p", "x", sequence=5), HUMAN)
    assert db.create_block(two.id, NewBlock("p", "y"), HUMAN).sequence == 0
    assert db.create_block(two.id, NewBlock("p", "z", sequence=5), HUMAN).sequence == 5


def test_create_records_provenance(db: Database) -> None:
    ws = make_workspace(db)
    doc = make_document(db, ws)
    ctx = ai_ctx(db, ws)
    prov = db.create_block(doc.id, NewBlock("p", "drafted"), ctx).provenance
    assert (prov.actor_kind, prov.actor_id, prov.job_id) == (ActorKind.AI, "model-x", ctx.job_id)
    assert uuid.UUID(prov.edit_event_id)


def test_create_in_missing_document_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_block(new_id(), NewBlock("p", "orphan"), HUMAN)


def test_taken_sequence_is_conflict(db: Database) -> None:
    doc = make_document(db)
    first = db.create_block(doc.id, NewBlock("p", "first", sequence=1), HUMAN)
    with pytest.raises(Conflict):
        db.create_block(doc.id, NewBlock("p", "second", sequence=1), HUMAN)
    assert db.list_blocks(doc.id) == [first]


def test_taken_id_is_conflict(db: Database) -> None:
    ws = make_workspace(db)
    doc, other = make_document(db, ws, "a"), make_document(db, ws, "b")
    first = db.create_block(doc.id, NewBlock("p", "first"), HUMAN)
    with pytest.raises(Conflict):
        db.create_block(other.id, NewBlock("p", "second", id=first.id), HUMAN)
    assert db.list_blocks(other.id) == []
    assert db.get_block(first.id) == first


@pytest.mark.parametrize("kind", ["", "   "])
def test_blank_kind_is_rejected(db: Database, kind: str) -> None:
    doc = make_document(db)
    with pytest.raises(ValidationError):
        db.create_block(doc.id, NewBlock(kind, "text"), HUMAN)
    assert db.list_blocks(doc.id) == []


def test_empty_raw_content_is_allowed(db: Database) -> None:
    doc = make_document(db)
    block = db.create_block(doc.id, NewBlock("divider", ""), HUMAN)
    assert (block.raw_content, block.display_content) == ("", "")


def test_list_is_in_sequence_order(db: Database) -> None:
    doc = make_document(db)
    for seq in (20, -5, 3, 2**40):
        db.create_block(doc.id, NewBlock("p", f"s{seq}", sequence=seq), HUMAN)
    assert [b.sequence for b in db.list_blocks(doc.id)] == [-5, 3, 20, 2**40]


def test_get_missing_returns_none(db: Database) -> None:
    assert db.get_block(new_id()) is None


def test_update_changes_only_given_fields(db: Database) -> None:
    doc = make_document(db)
    before = db.create_block(
        doc.id, NewBlock("p", "raw", display_content="shown", derived_content={"k": 1}), HUMAN
    )
    after = db.update_block(before.id, BlockUpdate(raw_content="new raw"), HUMAN)
    assert after.raw_content == "new raw"
    assert (after.kind, after.display_content, after.derived_content, after.sequence) == (
        before.kind,
        before.display_content,
        before.derived_content,
        before.sequence,
    )
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    assert db.get_block(before.id) == after


def test_update_every_field(db: Database) -> None:
    doc = make_document(db)
    block = make_blocks(db, doc, ["old"])[0]
    update = BlockUpdate(
        kind="quote", raw_content="r", display_content="d", derived_content={"x": [1]}, sequence=9
    )
    after = db.update_block(block.id, update, HUMAN)
    assert (after.kind, after.raw_content, after.display_content) == ("quote", "r", "d")
    assert (after.derived_content, after.sequence) == ({"x": [1]}, 9)


def test_update_records_new_provenance(db: Database) -> None:
    ws = make_workspace(db)
    block = make_blocks(db, make_document(db, ws), ["text"])[0]
    ctx = ai_ctx(db, ws)
    after = db.update_block(block.id, BlockUpdate(display_content="polished"), ctx)
    assert (after.provenance.actor_kind, after.provenance.job_id) == (ActorKind.AI, ctx.job_id)
    assert after.provenance.edit_event_id != block.provenance.edit_event_id


def test_empty_update_is_rejected(db: Database) -> None:
    block = make_blocks(db, make_document(db), ["keep me"])[0]
    assert BlockUpdate().is_empty()
    with pytest.raises(ValidationError):
        db.update_block(block.id, BlockUpdate(), HUMAN)
    assert db.get_block(block.id) == block


@pytest.mark.parametrize(
    "update",
    [BlockUpdate(kind=" "), BlockUpdate(sequence=2**63), BlockUpdate(derived_content={"x": {1}})],
    ids=["blank-kind", "sequence-overflow", "unserialisable-json"],
)
def test_invalid_update_is_rejected(db: Database, update: BlockUpdate) -> None:
    block = make_blocks(db, make_document(db), ["keep me"])[0]
    with pytest.raises(ValidationError):
        db.update_block(block.id, update, HUMAN)
    assert db.get_block(block.id) == block


def test_update_missing_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.update_block(new_id(), BlockUpdate(raw_content="x"), HUMAN)


def test_update_to_taken_sequence_is_conflict(db: Database) -> None:
    first, second = make_blocks(db, make_document(db), ["a", "b"])
    with pytest.raises(Conflict):
        db.update_block(second.id, BlockUpdate(sequence=first.sequence), HUMAN)
    assert db.get_block(second.id) == second


def test_delete_removes_only_that_block(db: Database) -> None:
    doc = make_document(db)
    keep, gone = make_blocks(db, doc, ["keep", "gone"])
    db.delete_block(gone.id, HUMAN)
    assert db.get_block(gone.id) is None
    assert db.list_blocks(doc.id) == [keep]


def test_delete_missing_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.delete_block(new_id(), HUMAN)


def test_replace_swaps_the_whole_document(db: Database) -> None:
    doc = make_document(db)
    old = make_blocks(db, doc, ["one", "two", "three"])
    new = db.replace_blocks(doc.id, [NewBlock("p", "uno"), NewBlock("h1", "dos")], HUMAN)
    assert [(b.kind, b.raw_content, b.sequence) for b in new] == [("p", "uno", 0), ("h1", "dos", 1)]
    assert db.list_blocks(doc.id) == new
    assert all(db.get_block(b.id) is None for b in old)


def test_replace_uses_given_sequence_else_position(db: Database) -> None:
    doc = make_document(db)
    given = [NewBlock("p", "a"), NewBlock("p", "b", sequence=50), NewBlock("p", "c")]
    result = db.replace_blocks(doc.id, given, HUMAN)
    assert sorted(b.sequence for b in result) == [0, 2, 50]
    assert [b.raw_content for b in db.list_blocks(doc.id)] == ["a", "c", "b"]


def test_replace_shares_one_edit_event(db: Database) -> None:
    doc = make_document(db)
    result = db.replace_blocks(doc.id, [NewBlock("p", str(i)) for i in range(3)], HUMAN)
    events = {b.provenance.edit_event_id for b in result}
    assert len(events) == 1
    again = db.replace_blocks(doc.id, [NewBlock("p", "x")], HUMAN)
    assert again[0].provenance.edit_event_id not in events


def test_replace_with_nothing_empties_the_document(db: Database) -> None:
    doc = make_document(db)
    make_blocks(db, doc, ["a", "b"])
    assert db.replace_blocks(doc.id, [], HUMAN) == []
    assert db.list_blocks(doc.id) == []


def test_replace_can_reuse_the_replaced_ids(db: Database) -> None:
    doc = make_document(db)
    old = make_blocks(db, doc, ["v1"])[0]
    result = db.replace_blocks(doc.id, [NewBlock("p", "v2", id=old.id)], HUMAN)
    assert [(b.id, b.raw_content) for b in result] == [(old.id, "v2")]


def test_replace_in_missing_document_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.replace_blocks(new_id(), [NewBlock("p", "x")], HUMAN)
