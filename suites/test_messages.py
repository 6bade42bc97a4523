"""Error messages are part of the contract: each names the parameter, the cause and the fix.

A caller (or the person reading a log) learns from the message which argument was wrong and
why; so each refusal here is checked word for word, on every backend. Ids in "does not
exist" messages are the caller's own (shown with repr), never anything else.
"""

from __future__ import annotations

import re

import pytest

from storage.api import (
    Database,
    JobState,
    WriteContext,
)
from storage.errors import Conflict, GuardError, StorageError
from suites._factories import (
    HUMAN,
    make_job,
    make_workspace,
)
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
