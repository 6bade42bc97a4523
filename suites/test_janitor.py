"""Janitor: prune finished AI jobs before a cut-off, keeping pinned and recent ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.api import AiJob, Database, JobState, NodeStatus, WorkflowStatus, Workspace
from storage.errors import ValidationError
from suites._factories import make_job, make_workspace

FUTURE = datetime.now(UTC) + timedelta(days=365)


def _ids(jobs: list[AiJob]) -> tuple[str, ...]:
    return tuple(sorted(j.id for j in jobs))


def _group(db: Database, ws: Workspace | None, kind: str, n: int) -> list[AiJob]:
    """`n` finished jobs of one (workspace, kind) group, oldest first."""
    states = [JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED]
    return [make_job(db, ws, kind, states[i % 3]) for i in range(n)]


def _alive(db: Database, jobs: list[AiJob]) -> list[AiJob]:
    return [j for j in jobs if db.get_ai_job(j.id) is not None]


@pytest.mark.parametrize("min_versions", [0, 1, 2, 5])
def test_keeps_the_newest_per_workspace_and_kind(db: Database, min_versions: int) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    groups = [_group(db, ws, "summarize", 4), _group(db, ws, "translate", 2)]
    groups.append(_group(db, other, "summarize", 3))
    report = db.prune_ai_jobs(FUTURE, min_versions=min_versions)
    doomed = [j for g in groups for j in g[: max(len(g) - min_versions, 0)]]
    kept = [j for g in groups for j in g[max(len(g) - min_versions, 0) :]]
    assert report.deleted_job_ids == _ids(doomed)
    assert report.spared_recent == len(kept)
    assert report.spared_pinned == 0
    assert (report.min_versions, report.dry_run) == (min_versions, False)
    assert _alive(db, [j for g in groups for j in g]) == kept


def test_jobs_without_workspace_form_one_group(db: Database) -> None:
    loose = _group(db, None, "embed", 3)
    report = db.prune_ai_jobs(FUTURE, min_versions=1)
    assert report.deleted_job_ids == _ids(loose[:2])
    assert _alive(db, loose) == loose[2:]


def test_cutoff_is_exclusive(db: Database) -> None:
    jobs = _group(db, make_workspace(db), "summarize", 4)
    report = db.prune_ai_jobs(jobs[2].created_at, min_versions=0)
    assert report.deleted_job_ids == _ids(jobs[:2])
    assert _alive(db, jobs) == jobs[2:]


def test_cutoff_in_another_time_zone_means_the_same_instant(db: Database) -> None:
    jobs = _group(db, make_workspace(db), "summarize", 3)
    cutoff = jobs[1].created_at.astimezone(timezone(timedelta(hours=-9, minutes=-30)))
    report = db.prune_ai_jobs(cutoff, min_versions=0)
    assert report.deleted_job_ids == _ids(jobs[:1])
    assert report.cutoff == jobs[1].created_at


def test_unfinished_jobs_are_never_pruned(db: Database) -> None:
    ws = make_workspace(db)
    live = [make_job(db, ws, "k", JobState.QUEUED), make_job(db, ws, "k", JobState.RUNNING)]
    report = db.prune_ai_jobs(FUTURE, min_versions=0)
    assert report.deleted_job_ids == ()
    assert _alive(db, live) == live


def test_pinned_jobs_are_spared(db: Database) -> None:
    ws = make_workspace(db)
    pinned = make_job(db, ws, "summarize", JobState.COMPLETED, pinned=True)
    later = make_job(db, ws, "summarize", JobState.COMPLETED)
    repinned = make_job(db, ws, "translate", JobState.FAILED)
    db.set_ai_job_pinned(repinned.id, True)
    report = db.prune_ai_jobs(FUTURE, min_versions=0)
    assert report.deleted_job_ids == (later.id,)
    assert report.spared_pinned == 2
    assert [j.id for j in _alive(db, [pinned, later, repinned])] == [pinned.id, repinned.id]


def test_dry_run_reports_the_same_ids_and_deletes_nothing(db: Database) -> None:
    ws = make_workspace(db)
    # the pinned job is the oldest, so whether it counts as a "version" cannot matter
    pinned = make_job(db, ws, "summarize", JobState.COMPLETED, pinned=True)
    jobs = [pinned, *_group(db, ws, "summarize", 4)]
    dry = db.prune_ai_jobs(FUTURE, min_versions=1, dry_run=True)
    assert dry.dry_run is True
    assert dry.deleted_job_ids == _ids(jobs[1:4])
    assert (dry.spared_pinned, dry.spared_recent) == (1, 1)
    assert _alive(db, jobs) == jobs
    assert db.get_counters(ws.id).job_count == len(jobs)
    real = db.prune_ai_jobs(FUTURE, min_versions=1)
    assert (real.deleted_job_ids, real.spared_pinned, real.spared_recent) == (
        dry.deleted_job_ids,
        dry.spared_pinned,
        dry.spared_recent,
    )
    assert _alive(db, jobs) == [pinned, jobs[4]]


def test_pruning_deletes_workflow_runs_and_node_executions(db: Database) -> None:
    old, new = _group(db, make_workspace(db), "wf", 2)
    old_run = db.create_workflow_run(old.id)
    new_run = db.create_workflow_run(new.id)
    step = db.create_node_execution(old_run.id, "step")
    db.update_node_execution_status(step.id, NodeStatus.COMPLETED)
    db.update_workflow_status(new_run.id, WorkflowStatus.COMPLETED)
    report = db.prune_ai_jobs(FUTURE, min_versions=1)
    assert report.deleted_job_ids == (old.id,)
    assert db.get_workflow_run(old_run.id) is None
    assert db.list_node_executions(old_run.id) == []
    assert db.get_workflow_run(new_run.id) is not None


def test_pruning_updates_counters(db: Database) -> None:
    ws = make_workspace(db)
    _group(db, ws, "summarize", 3)
    db.prune_ai_jobs(FUTURE, min_versions=1)
    assert db.get_counters(ws.id).job_count == 1


def test_nothing_to_prune(db: Database) -> None:
    report = db.prune_ai_jobs(FUTURE)
    assert (report.deleted_job_ids, report.spared_pinned, report.spared_recent) == ((), 0, 0)
    assert report.min_versions == 1


def test_negative_min_versions_is_rejected(db: Database) -> None:
    jobs = _group(db, None, "k", 2)
    with pytest.raises(ValidationError):
        db.prune_ai_jobs(FUTURE, min_versions=-1)
    assert _alive(db, jobs) == jobs


def test_naive_cutoff_is_rejected(db: Database) -> None:
    jobs = _group(db, None, "k", 2)
    with pytest.raises(ValidationError):
        db.prune_ai_jobs(datetime(2999, 1, 1))  # naive on purpose
    assert _alive(db, jobs) == jobs
