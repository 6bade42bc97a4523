-- Drop the provenance columns of workspaces, canvas nodes and canvas edges (their CHECK
-- constraints go with them); every other column and row stays.
ALTER TABLE canvas_edges DROP COLUMN edit_event_id;
ALTER TABLE canvas_edges DROP COLUMN workflow_id;
ALTER TABLE canvas_edges DROP COLUMN job_id;
ALTER TABLE canvas_edges DROP COLUMN actor_id;
ALTER TABLE canvas_edges DROP COLUMN actor_kind;

ALTER TABLE canvas_nodes DROP COLUMN edit_event_id;
ALTER TABLE canvas_nodes DROP COLUMN workflow_id;
ALTER TABLE canvas_nodes DROP COLUMN job_id;
ALTER TABLE canvas_nodes DROP COLUMN actor_id;
ALTER TABLE canvas_nodes DROP COLUMN actor_kind;

ALTER TABLE workspaces DROP COLUMN edit_event_id;
ALTER TABLE workspaces DROP COLUMN workflow_id;
ALTER TABLE workspaces DROP COLUMN job_id;
ALTER TABLE workspaces DROP COLUMN actor_id;
ALTER TABLE workspaces DROP COLUMN actor_kind;
