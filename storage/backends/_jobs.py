"""AI jobs, workflow runs, node executions and the janitor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.api import (
    MAX_JOB_LIST_LIMIT,
    AiJob,
    JobFilter,
    JobState,
    JsonObject,
    NewAiJob,
    NodeExecution,
    NodeStatus,
    PruneReport,
    WorkflowRun,
    WorkflowStatus,
    new_id,
)
from storage.backends import _records, _sql
from storage.backends._indexes import CounterDelta, IndexesMixin
from storage.backends._values import (
    aware,
    boolean,
    enum_value,
    identifier,
    int64,
    json_text,
    limit,
    nonblank,
    optional_json_text,
    optional_text,
    text,
    timestamp,
)
from storage.errors import Conflict, NotFound, ValidationError


class JobsMixin(IndexesMixin):
    # ----------------------------------------------------------------------- AI jobs
    def create_ai_job(self, job: NewAiJob) -> AiJob:
        if not isinstance(job, NewAiJob):
            raise ValidationError(f"job must be a NewAiJob, not {type(job).__name__}")
        params: dict[str, Any] = {
            "id": identifier(job.id, "job id"),
            "workspace_id": optional_text(job.workspace_id, "workspace_id"),
            "kind": nonblank(job.kind, "job kind"),
            "inputs": json_text(job.inputs, "job inputs"),
            "pinned": boolean(job.pinned, "pinned"),
        }
        with self._writing():
            if params["workspace_id"] is not None:
                self._require(_sql.SELECT_WORKSPACE, params["workspace_id"], "workspace")
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_JOB, params)
            assert row is not None
            self._bump_counters(row["workspace_id"], CounterDelta(jobs=1))
        return _records.ai_job(row)

    def get_ai_job(self, job_id: str) -> AiJob | None:
        row = self._read_one(_sql.SELECT_JOB, {"id": text(job_id, "job_id")})
        return None if row is None else _records.ai_job(row)

    def list_ai_jobs(self, filter: JobFilter | None = None) -> list[AiJob]:
        wanted = JobFilter() if filter is None else filter
        if not isinstance(wanted, JobFilter):
            raise ValidationError(f"filter must be a JobFilter, not {type(wanted).__name__}")
        count = limit(wanted.limit, "job list limit", MAX_JOB_LIST_LIMIT)
        params = {
            "state": None
            if wanted.state is None
            else enum_value(JobState, wanted.state, "job state").value,
            "kind": optional_text(wanted.kind, "job kind"),
            "workspace_id": optional_text(wanted.workspace_id, "workspace_id"),
            "created_from": None
            if wanted.created_from is None
            else timestamp(wanted.created_from, "created_from"),
            "created_to": None
            if wanted.created_to is None
            else timestamp(wanted.created_to, "created_to"),
            "boundary_offset": count - 1,
        }
        rows = self._read_rows(_sql.SELECT_JOBS, params)
        jobs = sorted(map(_records.ai_job, rows), key=lambda j: (j.created_at, j.id), reverse=True)
        return jobs[:count]

    def update_ai_job_state(
        self, job_id: str, state: JobState, *, error: str | None = None
    ) -> AiJob:
        params = {
            "id": text(job_id, "job_id"),
            "state": enum_value(JobState, state, "job state").value,
            "error": optional_text(error, "error"),
        }
        with self._writing():
            params["now"] = timestamp(self._now(), "now")
            # One UPDATE … RETURNING; only when it matches nothing do we look at why.
            row = self._one(_sql.UPDATE_JOB_STATE, params)
            if row is None:
                current = self._one(_sql.SELECT_JOB, {"id": params["id"]})
                if current is None:
                    raise NotFound(f"AI job {params['id']!r} does not exist")
                raise Conflict(
                    f"AI job {params['id']!r} is {current['state']}, a final state; "
                    f"it cannot become {params['state']}"
                )
        return _records.ai_job(row)

    def set_ai_job_outputs(self, job_id: str, outputs: JsonObject) -> AiJob:
        params = {"id": text(job_id, "job_id"), "outputs": json_text(outputs, "job outputs")}
        return self._update_job(_sql.UPDATE_JOB_OUTPUTS, params)

    def set_ai_job_pinned(self, job_id: str, pinned: bool) -> AiJob:
        params = {"id": text(job_id, "job_id"), "pinned": boolean(pinned, "pinned")}
        return self._update_job(_sql.UPDATE_JOB_PINNED, params)

    def _update_job(self, sql: str, params: dict[str, Any]) -> AiJob:
        with self._writing():
            row = self._one(sql, {**params, "now": timestamp(self._now(), "now")})
        if row is None:
            raise NotFound(f"AI job {params['id']!r} does not exist")
        return _records.ai_job(row)

    # ----------------------------------------------------------------------- workflow runs
    def create_workflow_run(self, job_id: str, *, id: str | None = None) -> WorkflowRun:
        params = {
            "id": new_id() if id is None else identifier(id, "workflow run id"),
            "job_id": text(job_id, "job_id"),
        }
        with self._writing():
            self._require(_sql.SELECT_JOB, params["job_id"], "AI job")
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_RUN, params)
        assert row is not None
        return _records.workflow_run(row)

    def get_workflow_run(self, run_id: str) -> WorkflowRun | None:
        row = self._read_one(_sql.SELECT_RUN, {"id": text(run_id, "run_id")})
        return None if row is None else _records.workflow_run(row)

    def heartbeat_workflow_run(self, run_id: str) -> WorkflowRun:
        wanted = text(run_id, "run_id")
        with self._writing():
            row = self._one(
                _sql.HEARTBEAT_RUN, {"id": wanted, "now": timestamp(self._now(), "now")}
            )
        if row is None:
            raise NotFound(f"workflow run {wanted!r} does not exist")
        return _records.workflow_run(row)

    def update_workflow_status(
        self, run_id: str, status: WorkflowStatus, *, error: str | None = None
    ) -> WorkflowRun:
        params = {
            "id": text(run_id, "run_id"),
            "status": enum_value(WorkflowStatus, status, "workflow status").value,
            "error": optional_text(error, "error"),
        }
        with self._writing():
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.UPDATE_RUN_STATUS, params)
            if row is None:
                raise NotFound(f"workflow run {params['id']!r} does not exist")
            if params["status"] == WorkflowStatus.FAILED.value:
                # The job fails with its run, in the same transaction (a job already in a
                # final state keeps it: final states never change).
                self._affected(
                    _sql.FAIL_JOB,
                    {"id": row["job_id"], "error": row["error"], "now": params["now"]},
                )
        return _records.workflow_run(row)

    def find_stalled_workflows(self, threshold: timedelta) -> list[WorkflowRun]:
        if not isinstance(threshold, timedelta):
            raise ValidationError("threshold must be a timedelta")
        try:
            cutoff = timestamp(self._now() - threshold, "stalled cutoff")
        except OverflowError:
            raise ValidationError(f"threshold {threshold} is out of range") from None
        rows = self._read_rows(_sql.SELECT_STALLED_RUNS, {"cutoff": cutoff})
        runs = map(_records.workflow_run, rows)
        return sorted(runs, key=lambda r: (r.last_heartbeat, r.id))

    # ----------------------------------------------------------------------- node executions
    def create_node_execution(
        self, run_id: str, node_id: str, *, inputs: JsonObject | None = None
    ) -> NodeExecution:
        params = {
            "id": new_id(),
            "workflow_run_id": text(run_id, "run_id"),
            "node_id": nonblank(node_id, "node_id"),
            "inputs": json_text({} if inputs is None else inputs, "node inputs"),
        }
        with self._writing():
            self._require(_sql.SELECT_RUN, params["workflow_run_id"], "workflow run")
            params["now"] = timestamp(self._now(), "now")
            row = self._one(_sql.INSERT_EXECUTION, params)
        assert row is not None
        return _records.node_execution(row)

    def list_node_executions(self, run_id: str) -> list[NodeExecution]:
        rows = self._read_rows(_sql.SELECT_EXECUTIONS, {"workflow_run_id": text(run_id, "run_id")})
        executions = map(_records.node_execution, rows)
        # Never-started last, spelled out: the databases put NULLs at opposite ends.
        return sorted(
            executions,
            key=lambda e: (e.started_at is None, e.started_at or e.created_at, e.created_at, e.id),
        )

    def update_node_execution_status(
        self,
        execution_id: str,
        status: NodeStatus,
        *,
        outputs: JsonObject | None = None,
        error: str | None = None,
    ) -> NodeExecution:
        wanted = enum_value(NodeStatus, status, "node status")
        params: dict[str, Any] = {
            "id": text(execution_id, "execution_id"),
            "status": wanted.value,
            "outputs": optional_json_text(outputs, "node outputs"),
            "error": optional_text(error, "error"),
        }
        with self._writing():
            now = timestamp(self._now(), "now")
            params["started_at"] = now if wanted is NodeStatus.RUNNING else None
            params["finished_at"] = now if wanted.terminal else None
            row = self._one(_sql.UPDATE_EXECUTION, params)
        if row is None:
            raise NotFound(f"node execution {params['id']!r} does not exist")
        return _records.node_execution(row)

    # ----------------------------------------------------------------------- janitor
    def prune_ai_jobs(
        self, cutoff: datetime, *, min_versions: int = 1, dry_run: bool = False
    ) -> PruneReport:
        """Delete finished jobs created before `cutoff`, sparing pinned jobs and the newest
        `min_versions` finished jobs of each (workspace, kind) group."""
        before = aware(cutoff, "cutoff")
        keep = int64(min_versions, "min_versions")
        if keep < 0:
            raise ValidationError(f"min_versions must be 0 or more, not {keep}")
        boolean(dry_run, "dry_run")
        cutoff_text = timestamp(before, "cutoff")
        with self._writing():
            rows = self._rows(_sql.SELECT_FINISHED_JOBS)
            groups: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
            for row in rows:
                groups.setdefault((row["workspace_id"], row["kind"]), []).append(row)
            doomed: list[dict[str, Any]] = []
            spared_pinned = spared_recent = 0
            for members in groups.values():
                members.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
                for rank, row in enumerate(members):
                    if row["created_at"] >= cutoff_text:
                        continue
                    if row["pinned"]:
                        spared_pinned += 1
                    elif rank < keep:
                        spared_recent += 1
                    else:
                        doomed.append(row)
            if not dry_run:
                # Workflow runs and node executions go with their job (foreign-key cascade).
                # One statement per job, re-checking `pinned`: a job pinned since the read
                # above stays (and is not reported).
                doomed = [r for r in doomed if self._affected(_sql.DELETE_JOB, {"id": r["id"]})]
                per_workspace: dict[str | None, int] = {}
                for row in doomed:
                    per_workspace[row["workspace_id"]] = (
                        per_workspace.get(row["workspace_id"], 0) + 1
                    )
                for workspace_id, deleted in per_workspace.items():
                    self._bump_counters(workspace_id, CounterDelta(jobs=-deleted))
        return PruneReport(
            cutoff=before,
            min_versions=keep,
            dry_run=dry_run,
            deleted_job_ids=tuple(sorted(r["id"] for r in doomed)),
            spared_pinned=spared_pinned,
            spared_recent=spared_recent,
        )
