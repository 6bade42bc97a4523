"""Workflow runs (status, heartbeat, stalled detection) and node executions."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from storage.api import Database, JobState, NodeStatus, WorkflowStatus, new_id
from storage.errors import NotFound
from suites._factories import make_job, make_run, make_workspace

NODE_TERMINAL = [s for s in NodeStatus if s.terminal]


def test_create_run_is_pending_with_a_heartbeat(db: Database) -> None:
    job = make_job(db)
    run = db.create_workflow_run(job.id)
    assert (run.job_id, run.status, run.error) == (job.id, WorkflowStatus.PENDING, None)
    assert run.last_heartbeat.tzinfo is not None
    assert run.last_heartbeat >= run.created_at
    assert db.get_workflow_run(run.id) == run


def test_create_run_with_caller_id(db: Database) -> None:
    wanted = new_id()
    assert db.create_workflow_run(make_job(db).id, id=wanted).id == wanted


def test_create_run_for_missing_job_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_workflow_run(new_id())


def test_get_missing_run_returns_none(db: Database) -> None:
    assert db.get_workflow_run(new_id()) is None


def test_heartbeat_moves_forward(db: Database) -> None:
    run = make_run(db)
    beat = db.heartbeat_workflow_run(run.id)
    assert beat.last_heartbeat > run.last_heartbeat
    assert beat.updated_at > run.updated_at
    assert (beat.status, beat.created_at) == (run.status, run.created_at)
    assert db.get_workflow_run(run.id) == beat


def test_heartbeat_of_missing_run_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.heartbeat_workflow_run(new_id())


def test_update_status(db: Database) -> None:
    run = make_run(db)
    running = db.update_workflow_status(run.id, WorkflowStatus.RUNNING)
    assert running.status is WorkflowStatus.RUNNING
    assert running.updated_at > run.updated_at
    done = db.update_workflow_status(run.id, WorkflowStatus.COMPLETED)
    assert (done.status, done.error) == (WorkflowStatus.COMPLETED, None)
    assert db.get_workflow_run(run.id) == done


def test_failed_run_copies_its_error_to_the_job(db: Database) -> None:
    job = make_job(db, make_workspace(db), state=JobState.RUNNING)
    run = db.create_workflow_run(job.id)
    failed = db.update_workflow_status(run.id, WorkflowStatus.FAILED, error="node 3 crashed")
    assert (failed.status, failed.error) == (WorkflowStatus.FAILED, "node 3 crashed")
    refreshed = db.get_ai_job(job.id)
    assert refreshed is not None
    assert (refreshed.state, refreshed.error) == (JobState.FAILED, "node 3 crashed")


def test_update_status_of_missing_run_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.update_workflow_status(new_id(), WorkflowStatus.RUNNING)


def test_stalled_threshold_zero_finds_every_live_run_oldest_heartbeat_first(
    db: Database,
) -> None:
    first, second, third = make_run(db), make_run(db), make_run(db)
    db.update_workflow_status(third.id, WorkflowStatus.RUNNING)
    db.heartbeat_workflow_run(first.id)  # now the freshest heartbeat
    stalled = db.find_stalled_workflows(timedelta(0))
    assert [r.id for r in stalled] == [second.id, third.id, first.id]


@pytest.mark.parametrize(
    "status", [WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED]
)
def test_stalled_ignores_finished_runs(db: Database, status: WorkflowStatus) -> None:
    live, finished = make_run(db), make_run(db)
    db.update_workflow_status(finished.id, status)
    assert [r.id for r in db.find_stalled_workflows(timedelta(0))] == [live.id]


def test_stalled_threshold_is_relative_to_now(db: Database) -> None:
    old = make_run(db)
    time.sleep(0.6)
    fresh = make_run(db)
    # A cut-off half-way between the two heartbeats. "Now" inside the call is no earlier
    # than `before`, so `old` is always stalled; `fresh` is not, unless the call itself took
    # longer than the 0.3 s margin (then only the first claim can be checked).
    midpoint = old.last_heartbeat + (fresh.last_heartbeat - old.last_heartbeat) / 2
    before = datetime.now(UTC)
    stalled = [r.id for r in db.find_stalled_workflows(before - midpoint)]
    elapsed = datetime.now(UTC) - before
    assert old.id in stalled
    if elapsed < fresh.last_heartbeat - midpoint:
        assert stalled == [old.id]
    assert db.find_stalled_workflows(timedelta(days=1)) == []


def test_create_node_execution_is_pending(db: Database) -> None:
    run = make_run(db)
    execution = db.create_node_execution(run.id, "extract", inputs={"page": 1})
    assert (execution.workflow_run_id, execution.node_id) == (run.id, "extract")
    assert (execution.status, execution.inputs, execution.outputs) == (
        NodeStatus.PENDING,
        {"page": 1},
        None,
    )
    assert (execution.error, execution.started_at, execution.finished_at) == (None, None, None)
    assert db.list_node_executions(run.id) == [execution]


def test_node_execution_inputs_default_to_empty(db: Database) -> None:
    assert db.create_node_execution(make_run(db).id, "n").inputs == {}


def test_create_node_execution_for_missing_run_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.create_node_execution(new_id(), "extract")


def test_running_sets_started_at_once(db: Database) -> None:
    execution = db.create_node_execution(make_run(db).id, "n")
    first = db.update_node_execution_status(execution.id, NodeStatus.RUNNING)
    assert first.started_at is not None
    assert first.finished_at is None
    again = db.update_node_execution_status(execution.id, NodeStatus.RUNNING)
    assert again.started_at == first.started_at


@pytest.mark.parametrize("status", NODE_TERMINAL)
def test_terminal_status_sets_finished_at(db: Database, status: NodeStatus) -> None:
    execution = db.create_node_execution(make_run(db).id, "n")
    started = db.update_node_execution_status(execution.id, NodeStatus.RUNNING)
    done = db.update_node_execution_status(
        execution.id, status, outputs={"rows": 2**40}, error="why"
    )
    assert done.status is status
    assert done.started_at == started.started_at
    assert done.finished_at is not None
    assert started.started_at is not None
    assert done.finished_at >= started.started_at
    assert (done.outputs, done.error) == ({"rows": 2**40}, "why")
    assert db.list_node_executions(execution.workflow_run_id) == [done]


def test_skipped_without_running_has_no_start(db: Database) -> None:
    execution = db.create_node_execution(make_run(db).id, "n")
    skipped = db.update_node_execution_status(execution.id, NodeStatus.SKIPPED)
    assert skipped.started_at is None
    assert skipped.finished_at is not None


def test_update_missing_node_execution_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        db.update_node_execution_status(new_id(), NodeStatus.RUNNING)


def test_list_node_executions_is_scoped_to_the_run(db: Database) -> None:
    run, other = make_run(db), make_run(db)
    mine = db.create_node_execution(run.id, "a")
    db.create_node_execution(other.id, "a")
    assert db.list_node_executions(run.id) == [mine]
    assert db.list_node_executions(new_id()) == []
