"""AI jobs: create (always queued), get, list with filters, state updates, outputs, pin."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone, tzinfo

import pytest

from storage.api import MAX_JOB_LIST_LIMIT, Database, JobFilter, JobState, NewAiJob, new_id
from storage.errors import Conflict, NotFound, ValidationError
from suites._factories import make_job, make_workspace

TERMINAL = [s for s in JobState if s.terminal]


def test_create_is_always_queued(db: Database) -> None:
    ws = make_workspace(db)
    job = db.create_ai_job(NewAiJob("summarize", ws.id, inputs={"doc": "d1", "n": 3}))
    assert (job.state, job.workspace_id, job.kind) == (JobState.QUEUED, ws.id, "summarize")
    assert job.inputs == {"doc": "d1", "n": 3}
    assert (job.outputs, job.error, job.pinned) == (None, None, False)
    assert db.get_ai_job(job.id) == job


def test_create_with_caller_id_pinned_and_no_workspace(db: Database) -> None:
    wanted = new_id()
    job = db.create_ai_job(NewAiJob("embed", pinned=True, id=wanted))
    assert (job.id, job.workspace_id, job.pinned, job.inputs) == (wanted, None, True, {})


def test_create_in_missing_workspace_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_ai_job(NewAiJob("x", workspace_id=new_id()))
    assert db.list_ai_jobs() == []


def test_duplicate_id_is_conflict(db: Database) -> None:
    job = make_job(db)
    with pytest.raises(Conflict):
        db.create_ai_job(NewAiJob("other", id=job.id))
    assert db.get_ai_job(job.id) == job


@pytest.mark.parametrize("kind", ["", "   "])
def test_blank_kind_is_rejected(db: Database, kind: str) -> None:
    with pytest.raises(ValidationError):
        db.create_ai_job(NewAiJob(kind))


def test_get_missing_returns_none(db: Database) -> None:
    assert db.get_ai_job(new_id()) is None


def test_list_is_newest_first(db: Database) -> None:
    jobs = [make_job(db, kind=f"k{i}") for i in range(4)]
    assert [j.id for j in db.list_ai_jobs()] == [j.id for j in reversed(jobs)]
    assert db.list_ai_jobs(JobFilter()) == db.list_ai_jobs()


def test_list_filters_combine(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    target = make_job(db, ws, "summarize", JobState.COMPLETED)
    make_job(db, ws, "summarize", JobState.FAILED)
    make_job(db, ws, "translate", JobState.COMPLETED)
    make_job(db, other, "summarize", JobState.COMPLETED)
    make_job(db, None, "summarize", JobState.COMPLETED)
    chosen = JobFilter(state=JobState.COMPLETED, kind="summarize", workspace_id=ws.id)
    assert db.list_ai_jobs(chosen) == [target]


@pytest.mark.parametrize("state", list(JobState))
def test_list_filters_by_state(db: Database, state: JobState) -> None:
    by_state = {s: make_job(db, state=s) for s in JobState}
    assert db.list_ai_jobs(JobFilter(state=state)) == [by_state[state]]


def test_list_filters_by_workspace(db: Database) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    mine = [make_job(db, ws), make_job(db, ws)]
    make_job(db, other)
    make_job(db, None)
    assert db.list_ai_jobs(JobFilter(workspace_id=ws.id)) == mine[::-1]


def test_list_date_range_is_from_inclusive_to_exclusive(db: Database) -> None:
    j1, j2, j3, j4 = (make_job(db) for _ in range(4))
    window = JobFilter(created_from=j2.created_at, created_to=j4.created_at)
    assert db.list_ai_jobs(window) == [j3, j2]
    assert db.list_ai_jobs(JobFilter(created_from=j4.created_at)) == [j4]
    assert db.list_ai_jobs(JobFilter(created_to=j2.created_at)) == [j1]
    empty = JobFilter(created_from=j2.created_at, created_to=j2.created_at)
    assert db.list_ai_jobs(empty) == []


@pytest.mark.parametrize("limit", [1, 2, MAX_JOB_LIST_LIMIT])
def test_list_limit_keeps_the_newest(db: Database, limit: int) -> None:
    jobs = [make_job(db) for _ in range(3)]
    assert db.list_ai_jobs(JobFilter(limit=limit)) == jobs[::-1][:limit]


@pytest.mark.parametrize("limit", [0, -1, MAX_JOB_LIST_LIMIT + 1])
def test_list_limit_out_of_range_is_rejected(db: Database, limit: int) -> None:
    with pytest.raises(ValidationError):
        db.list_ai_jobs(JobFilter(limit=limit))


def test_update_state_returns_the_updated_row(db: Database) -> None:
    job = make_job(db)
    running = db.update_ai_job_state(job.id, JobState.RUNNING)
    assert running.state is JobState.RUNNING
    assert running.updated_at > job.updated_at
    assert running.created_at == job.created_at
    assert db.get_ai_job(job.id) == running


def test_update_state_stores_the_error(db: Database) -> None:
    job = make_job(db)
    failed = db.update_ai_job_state(job.id, JobState.FAILED, error="model timed out")
    assert (failed.state, failed.error) == (JobState.FAILED, "model timed out")
    assert db.get_ai_job(job.id) == failed


def test_update_state_of_missing_job_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.update_ai_job_state(new_id(), JobState.RUNNING)


@pytest.mark.parametrize("terminal", TERMINAL)
@pytest.mark.parametrize("target", [JobState.QUEUED, JobState.RUNNING])
def test_terminal_state_is_final(db: Database, terminal: JobState, target: JobState) -> None:
    job = make_job(db, state=terminal)
    with pytest.raises(Conflict):
        db.update_ai_job_state(job.id, target)
    assert db.get_ai_job(job.id) == job


def test_terminal_state_cannot_turn_into_another_terminal_state(db: Database) -> None:
    job = make_job(db, state=JobState.COMPLETED)
    with pytest.raises(Conflict):
        db.update_ai_job_state(job.id, JobState.FAILED, error="late")
    assert db.get_ai_job(job.id) == job


def test_set_outputs(db: Database) -> None:
    job = make_job(db, state=JobState.RUNNING)
    outputs = {"summary": "short", "tokens": 123, "spans": [[0, 5], [7, 9]]}
    updated = db.set_ai_job_outputs(job.id, outputs)
    assert updated.outputs == outputs
    assert updated.state is JobState.RUNNING
    assert db.get_ai_job(job.id) == updated


def test_set_outputs_of_missing_job_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.set_ai_job_outputs(new_id(), {"a": 1})


def test_set_pinned_toggles(db: Database) -> None:
    job = make_job(db)
    assert db.set_ai_job_pinned(job.id, True).pinned is True
    assert db.get_ai_job(job.id).pinned is True  # type: ignore[union-attr]
    assert db.set_ai_job_pinned(job.id, False).pinned is False


def test_set_pinned_of_missing_job_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.set_ai_job_pinned(new_id(), True)


@pytest.mark.parametrize(
    "bad",
    [{"x": float("nan")}, {"x": float("inf")}, {"x": {1, 2}}, {"x": object()}],
    ids=["nan", "inf", "set", "object"],
)
def test_unserialisable_json_is_rejected(db: Database, bad: dict[str, object]) -> None:
    job = make_job(db)
    with pytest.raises(ValidationError):
        db.create_ai_job(NewAiJob("x", inputs=bad))
    with pytest.raises(ValidationError):
        db.set_ai_job_outputs(job.id, bad)
    assert db.list_ai_jobs() == [job]


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime is naive in effect."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_a_datetime_whose_zone_has_no_offset_is_naive(db: Database) -> None:
    with pytest.raises(ValidationError, match=r"^cutoff must be timezone-aware \(got a naive"):
        db.prune_ai_jobs(datetime(2030, 1, 1, tzinfo=_NoOffset()))


@contextmanager
def _local_zone(name: str) -> Iterator[None]:
    """The process's local time zone set to `name` (TZ), restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_filters_compare_instants_whatever_the_local_zone(db: Database) -> None:
    # Newfoundland: a half-hour offset and DST. A datetime converted to the local zone
    # instead of UTC would be stored and compared as the wrong instant.
    with _local_zone("America/St_Johns"):
        job = make_job(db)
        newfoundland = timezone(timedelta(hours=-3, minutes=-30))
        at = job.created_at.astimezone(newfoundland)
        just_after = at + timedelta(microseconds=1)
        assert [j.id for j in db.list_ai_jobs(JobFilter(created_from=at))] == [job.id]
        assert db.list_ai_jobs(JobFilter(created_from=just_after)) == []
        assert [j.id for j in db.list_ai_jobs(JobFilter(created_to=just_after))] == [job.id]
        assert db.get_ai_job(job.id).created_at.utcoffset() == timedelta(0)  # type: ignore[union-attr]
