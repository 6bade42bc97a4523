-- Core content: workspaces, documents, blocks, canvases with their nodes and edges.
-- One text for SQLite and PostgreSQL. Portable types only: TEXT for ids (UUID text from
-- the application), timestamps (fixed-width ISO-8601 UTC text) and JSON; BIGINT for
-- integers; every column's nullability is spelled out (SQLite would otherwise allow NULL
-- in a TEXT primary key). Provenance columns record the last content write.
-- Free text is never indexed: PostgreSQL refuses index entries over ~8 kB (SQLite has no
-- limit), so the uniqueness of workspace names is enforced on a SHA-256 digest of the name
-- that the application computes.

CREATE TABLE workspaces (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    name_digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT workspaces_name_digest_key UNIQUE (name_digest)
);

CREATE TABLE documents (
    id TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    job_id TEXT,
    workflow_id TEXT,
    edit_event_id TEXT NOT NULL,
    CONSTRAINT documents_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'))
);

CREATE INDEX documents_workspace_idx ON documents (workspace_id);

CREATE TABLE blocks (
    id TEXT NOT NULL PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    sequence BIGINT NOT NULL,
    kind TEXT NOT NULL,
    raw_content TEXT NOT NULL,
    display_content TEXT NOT NULL,
    derived_content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    job_id TEXT,
    workflow_id TEXT,
    edit_event_id TEXT NOT NULL,
    -- also serves lookups of a document's blocks (document_id is its first column)
    CONSTRAINT blocks_document_sequence_key UNIQUE (document_id, sequence),
    CONSTRAINT blocks_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'))
);

CREATE TABLE canvases (
    id TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    job_id TEXT,
    workflow_id TEXT,
    edit_event_id TEXT NOT NULL,
    CONSTRAINT canvases_actor_kind_check CHECK (actor_kind IN ('human', 'ai', 'system'))
);

CREATE INDEX canvases_workspace_idx ON canvases (workspace_id);

CREATE TABLE canvas_nodes (
    id TEXT NOT NULL PRIMARY KEY,
    canvas_id TEXT NOT NULL REFERENCES canvases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    x BIGINT NOT NULL,
    y BIGINT NOT NULL,
    data TEXT NOT NULL
);

CREATE INDEX canvas_nodes_canvas_idx ON canvas_nodes (canvas_id);

CREATE TABLE canvas_edges (
    id TEXT NOT NULL PRIMARY KEY,
    canvas_id TEXT NOT NULL REFERENCES canvases (id) ON DELETE CASCADE,
    source_node_id TEXT NOT NULL REFERENCES canvas_nodes (id) ON DELETE CASCADE,
    target_node_id TEXT NOT NULL REFERENCES canvas_nodes (id) ON DELETE CASCADE,
    label TEXT
);

CREATE INDEX canvas_edges_canvas_idx ON canvas_edges (canvas_id);
-- foreign-key columns are indexed so that deleting a node does not scan all edges
CREATE INDEX canvas_edges_source_idx ON canvas_edges (source_node_id);
CREATE INDEX canvas_edges_target_idx ON canvas_edges (target_node_id);
