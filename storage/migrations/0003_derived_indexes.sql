-- Derived data: a search index (token -> block) and per-workspace counters.
-- Never the source of truth: rebuild_indexes() recomputes both from canonical rows.
-- The tokens are computed by the application (NFC + case folding + \w+ words), so search
-- never depends on a database's LIKE or case handling. A token longer than 200 bytes is
-- stored as '#' + its SHA-256 (tokens never contain '#'), which keeps every index entry
-- small enough for PostgreSQL.

CREATE TABLE search_tokens (
    token TEXT NOT NULL,
    block_id TEXT NOT NULL REFERENCES blocks (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    PRIMARY KEY (token, block_id)
);

CREATE INDEX search_tokens_block_idx ON search_tokens (block_id);

CREATE TABLE workspace_counters (
    workspace_id TEXT NOT NULL PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    document_count BIGINT NOT NULL,
    block_count BIGINT NOT NULL,
    canvas_count BIGINT NOT NULL,
    job_count BIGINT NOT NULL
);
