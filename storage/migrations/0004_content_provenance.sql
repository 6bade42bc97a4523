-- Provenance on every content row: workspaces, canvas nodes and canvas edges get the five
-- columns documents, blocks and canvases have had since 0001 (last actor kind and id, job
-- id, workflow id, edit-event UUID), so every content write is traceable to its writer.
-- ADD COLUMN is the only change both databases make in place: rebuilding a table would
-- cascade-delete its children on SQLite and need its foreign keys dropped on PostgreSQL.
-- A NOT NULL column added to a table that has rows needs a default: rows written before
-- this migration read as written by the system, under the nil UUID as their edit event
-- (no event was recorded). The API always writes every column itself.

ALTER TABLE workspaces ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system'
    CONSTRAINT workspaces_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'));
ALTER TABLE workspaces ADD COLUMN actor_id TEXT;
ALTER TABLE workspaces ADD COLUMN job_id TEXT;
ALTER TABLE workspaces ADD COLUMN workflow_id TEXT;
ALTER TABLE workspaces ADD COLUMN edit_event_id TEXT NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000000';

ALTER TABLE canvas_nodes ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system'
    CONSTRAINT canvas_nodes_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'));
ALTER TABLE canvas_nodes ADD COLUMN actor_id TEXT;
ALTER TABLE canvas_nodes ADD COLUMN job_id TEXT;
ALTER TABLE canvas_nodes ADD COLUMN workflow_id TEXT;
ALTER TABLE canvas_nodes ADD COLUMN edit_event_id TEXT NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000000';

ALTER TABLE canvas_edges ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system'
    CONSTRAINT canvas_edges_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'));
ALTER TABLE canvas_edges ADD COLUMN actor_id TEXT;
ALTER TABLE canvas_edges ADD COLUMN job_id TEXT;
ALTER TABLE canvas_edges ADD COLUMN workflow_id TEXT;
ALTER TABLE canvas_edges ADD COLUMN edit_event_id TEXT NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000000';
