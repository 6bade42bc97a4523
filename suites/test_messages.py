"""Error messages are part of the contract: each names the parameter, the cause and the fix.

A caller (or the person reading a log) learns from the message which argument was wrong and
why; so each refusal here is checked word for word, on every backend. Ids in "does not
exist" messages are the caller's own (shown with repr), never anything else.
"""

from __future__ import annotations

import re

import pytest

from storage.api import Database, JobState, NewBlock, WriteContext
from storage.errors import Conflict, GuardError, StorageError
from suites._factories import HUMAN, make_blocks, make_document, make_job, make_workspace
from suites._refusals import REFUSALS
from suites._refusals._common import Call


@pytest.mark.parametrize(("call", "error", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refusal_says_which_parameter_and_why(
    db: Database, call: Call, error: type[StorageError], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(db)


def test_a_final_job_state_names_both_states(db: Database) -> None:
    job = make_job(db, state=JobState.COMPLETED)
    expected = f"AI job {job.id!r} is completed, a final state; it cannot become running"
    with pytest.raises(Conflict, match=f"^{re.escape(expected)}$"):
        db.update_ai_job_state(job.id, JobState.RUNNING)
    assert db.get_ai_job(job.id) == job


def test_a_taken_workspace_name_or_id_says_which(db: Database) -> None:
    first = make_workspace(db, "taken")
    with pytest.raises(Conflict, match=r"^a workspace with name 'taken' already exists$"):
        db.create_workspace("taken", HUMAN)
    with pytest.raises(Conflict, match=f"^a workspace with id {re.escape(repr(first.id))} already"):
        db.create_workspace("free", HUMAN, id=first.id)
    assert db.list_workspaces() == [first]


def test_a_silent_edit_carries_its_code(db: Database) -> None:
    with pytest.raises(GuardError) as refused:
        db.create_workspace("w", WriteContext.ai("m", job_id="j"))
    assert refused.value.code == "HSK-403-SILENT-EDIT"
    assert db.list_workspaces() == []


def test_a_taken_document_or_block_key_says_which_and_the_transaction_goes_on(
    db: Database,
) -> None:
    document = make_document(db)
    [block] = make_blocks(db, document, ["x"])
    with db.transaction():
        taken_id = f"^a document with id {re.escape(repr(document.id))} already exists$"
        with pytest.raises(Conflict, match=taken_id):
            db.create_document(document.workspace_id, "again", HUMAN, id=document.id)
        with pytest.raises(Conflict, match=f"^a block with id {re.escape(repr(block.id))} "):
            db.create_block(document.id, NewBlock("p", "y", id=block.id), HUMAN)
        at = f"^document {re.escape(repr(document.id))} already has a block at sequence 0$"
        with pytest.raises(Conflict, match=at):
            db.create_block(document.id, NewBlock("p", "y", sequence=block.sequence), HUMAN)
        # Nothing was written, and the transaction is still usable (no statement failed).
        db.create_block(document.id, NewBlock("p", "z"), HUMAN)
    assert [b.raw_content for b in db.list_blocks(document.id)] == ["x", "z"]
    assert db.get_counters(document.workspace_id).block_count == 2
    assert [d.id for d in db.list_documents(document.workspace_id)] == [document.id]
