-- Drop AI jobs and workflows, children first.
DROP TABLE node_executions;
DROP TABLE workflow_runs;
DROP TABLE ai_jobs;
