"""The refusals of AI jobs, workflow runs, node executions and the janitor:
call -> (error class, the whole message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.api import (
    JobFilter,
    JobState,
    NewAiJob,
    NodeStatus,
    WorkflowStatus,
)
from storage.errors import NotFound, StorageError, ValidationError
from suites._factories import (
    make_job,
)
from suites._refusals._common import (
    JOB_STATES,
    MISSING,
    NODE_STATES,
    RUN_STATES,
    Call,
    execution,
    run,
)

REFUSALS: dict[str, tuple[Call, type[StorageError], str]] = {
    # ----------------------------------------------------------------- AI jobs
    "create-job-not-a-job": (
        lambda db: db.create_ai_job("k"),  # type: ignore[arg-type]
        ValidationError,
        "job must be a NewAiJob, not str",
    ),
    "create-job-pinned-int": (
        lambda db: db.create_ai_job(NewAiJob("k", pinned=1)),  # type: ignore[arg-type]
        ValidationError,
        "pinned must be a bool, not int",
    ),
    "get-job-id": (
        lambda db: db.get_ai_job(5),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "list-jobs-filter": (
        lambda db: db.list_ai_jobs("queued"),  # type: ignore[arg-type]
        ValidationError,
        "filter must be a JobFilter, not str",
    ),
    "list-jobs-limit-zero": (
        lambda db: db.list_ai_jobs(JobFilter(limit=0)),
        ValidationError,
        "job list limit must be between 1 and 1000, not 0",
    ),
    "list-jobs-limit-past-max": (
        lambda db: db.list_ai_jobs(JobFilter(limit=1001)),
        ValidationError,
        "job list limit must be between 1 and 1000, not 1001",
    ),
    "list-jobs-limit-bool": (
        lambda db: db.list_ai_jobs(JobFilter(limit=True)),
        ValidationError,
        "job list limit must be an integer, not bool",
    ),
    "list-jobs-limit-float": (
        lambda db: db.list_ai_jobs(JobFilter(limit=10.0)),  # type: ignore[arg-type]
        ValidationError,
        "job list limit must be an integer, not float",
    ),
    "list-jobs-state": (
        lambda db: db.list_ai_jobs(JobFilter(state="done")),  # type: ignore[arg-type]
        ValidationError,
        f"job state 'done' is not one of: {JOB_STATES}",
    ),
    "update-job-id": (
        lambda db: db.update_ai_job_state(5, JobState.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "update-job-state": (
        lambda db: db.update_ai_job_state(make_job(db).id, "done"),  # type: ignore[arg-type]
        ValidationError,
        f"job state 'done' is not one of: {JOB_STATES}",
    ),
    "update-job-state-not-text": (
        lambda db: db.update_ai_job_state(make_job(db).id, 1),  # type: ignore[arg-type]
        ValidationError,
        f"job state 1 is not one of: {JOB_STATES}",
    ),
    "update-job-error": (
        lambda db: db.update_ai_job_state(make_job(db).id, JobState.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "update-job-missing": (
        lambda db: db.update_ai_job_state(MISSING, JobState.RUNNING),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "outputs-job-id": (
        lambda db: db.set_ai_job_outputs(5, {}),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "outputs-not-an-object": (
        lambda db: db.set_ai_job_outputs(make_job(db).id, "x"),  # type: ignore[arg-type]
        ValidationError,
        "job outputs must be a JSON object (dict), not str",
    ),
    "outputs-missing-job": (
        lambda db: db.set_ai_job_outputs(MISSING, {}),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "pinned-job-id": (
        lambda db: db.set_ai_job_pinned(5, True),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "pinned-int": (
        lambda db: db.set_ai_job_pinned(make_job(db).id, 1),  # type: ignore[arg-type]
        ValidationError,
        "pinned must be a bool, not int",
    ),
    "pinned-missing-job": (
        lambda db: db.set_ai_job_pinned(MISSING, True),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- workflow runs
    "create-run-job-id": (
        lambda db: db.create_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "job_id must be a string, not int",
    ),
    "create-run-missing-job": (
        lambda db: db.create_workflow_run(MISSING),
        NotFound,
        f"AI job {MISSING!r} does not exist",
    ),
    "get-run-id": (
        lambda db: db.get_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "heartbeat-run-id": (
        lambda db: db.heartbeat_workflow_run(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "heartbeat-missing-run": (
        lambda db: db.heartbeat_workflow_run(MISSING),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "run-status-id": (
        lambda db: db.update_workflow_status(5, WorkflowStatus.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "run-status": (
        lambda db: db.update_workflow_status(run(db), "done"),  # type: ignore[arg-type]
        ValidationError,
        f"workflow status 'done' is not one of: {RUN_STATES}",
    ),
    "run-status-error": (
        lambda db: db.update_workflow_status(run(db), WorkflowStatus.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "run-status-missing": (
        lambda db: db.update_workflow_status(MISSING, WorkflowStatus.RUNNING),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "stalled-threshold-type": (
        lambda db: db.find_stalled_workflows(60),  # type: ignore[arg-type]
        ValidationError,
        "threshold must be a timedelta",
    ),
    "stalled-threshold-range": (
        lambda db: db.find_stalled_workflows(timedelta.max),
        ValidationError,
        f"threshold {timedelta.max} is out of range",
    ),
    # ----------------------------------------------------------------- node executions
    "create-execution-run-id": (
        lambda db: db.create_node_execution(5, "n"),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "create-execution-node-id": (
        lambda db: db.create_node_execution(run(db), " "),
        ValidationError,
        "node_id must not be empty",
    ),
    "create-execution-inputs": (
        lambda db: db.create_node_execution(run(db), "n", inputs=[]),  # type: ignore[arg-type]
        ValidationError,
        "node inputs must be a JSON object (dict), not list",
    ),
    "create-execution-missing-run": (
        lambda db: db.create_node_execution(MISSING, "n"),
        NotFound,
        f"workflow run {MISSING!r} does not exist",
    ),
    "list-executions-run-id": (
        lambda db: db.list_node_executions(5),  # type: ignore[arg-type]
        ValidationError,
        "run_id must be a string, not int",
    ),
    "execution-status-id": (
        lambda db: db.update_node_execution_status(5, NodeStatus.RUNNING),  # type: ignore[arg-type]
        ValidationError,
        "execution_id must be a string, not int",
    ),
    "execution-status": (
        lambda db: db.update_node_execution_status(execution(db), "done"),  # type: ignore[arg-type]
        ValidationError,
        f"node status 'done' is not one of: {NODE_STATES}",
    ),
    "execution-outputs": (
        lambda db: db.update_node_execution_status(
            execution(db),
            NodeStatus.COMPLETED,
            outputs=[],  # type: ignore[arg-type]
        ),
        ValidationError,
        "node outputs must be a JSON object (dict), not list",
    ),
    "execution-error": (
        lambda db: db.update_node_execution_status(execution(db), NodeStatus.FAILED, error=5),  # type: ignore[arg-type]
        ValidationError,
        "error must be a string, not int",
    ),
    "execution-missing": (
        lambda db: db.update_node_execution_status(MISSING, NodeStatus.RUNNING),
        NotFound,
        f"node execution {MISSING!r} does not exist",
    ),
    # ----------------------------------------------------------------- janitor
    "prune-naive-cutoff": (
        lambda db: db.prune_ai_jobs(datetime(2024, 1, 1)),
        ValidationError,
        "cutoff must be timezone-aware (got a naive datetime)",
    ),
    "prune-cutoff-type": (
        lambda db: db.prune_ai_jobs("2024-01-01"),  # type: ignore[arg-type]
        ValidationError,
        "cutoff must be a datetime, not str",
    ),
    "prune-min-versions-type": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), min_versions="1"),  # type: ignore[arg-type]
        ValidationError,
        "min_versions must be an integer, not str",
    ),
    "prune-min-versions-negative": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), min_versions=-1),
        ValidationError,
        "min_versions must be 0 or more, not -1",
    ),
    "prune-dry-run-type": (
        lambda db: db.prune_ai_jobs(datetime.now(UTC), dry_run="yes"),  # type: ignore[arg-type]
        ValidationError,
        "dry_run must be a bool, not str",
    ),
}
