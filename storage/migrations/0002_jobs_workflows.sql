-- AI jobs, the workflow runs that execute them, and each run's node executions.
-- Booleans are INTEGER 0/1 (SQLite has no boolean type); states are checked text.

CREATE TABLE ai_jobs (
    id TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    pinned INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT ai_jobs_state_check
        CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT ai_jobs_pinned_check CHECK (pinned IN (0, 1))
);

CREATE INDEX ai_jobs_created_idx ON ai_jobs (created_at);
-- kind is free text and stays out of indexes (PostgreSQL limits an index entry's size)
CREATE INDEX ai_jobs_workspace_idx ON ai_jobs (workspace_id);

CREATE TABLE workflow_runs (
    id TEXT NOT NULL PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES ai_jobs (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_heartbeat TEXT NOT NULL,
    CONSTRAINT workflow_runs_status_check
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled'))
);

CREATE INDEX workflow_runs_job_idx ON workflow_runs (job_id);
-- stalled-run detection: live statuses, oldest heartbeat first
CREATE INDEX workflow_runs_heartbeat_idx ON workflow_runs (status, last_heartbeat);

CREATE TABLE node_executions (
    id TEXT NOT NULL PRIMARY KEY,
    workflow_run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    status TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    started_at TEXT,
    finished_at TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT node_executions_status_check
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped'))
);

CREATE INDEX node_executions_run_idx ON node_executions (workflow_run_id);
