"""Every SQL text the storage layer runs, written once for both backends.

Placeholders are ``:name``; the PostgreSQL backend rewrites them to ``%(name)s`` once per
text. The texts avoid everything that behaves differently on the two databases: no
collation-dependent ordering of free text (the API sorts text in Python by code point), no
NULL-ordering assumptions, no ``LIKE``, no date functions (timestamps are fixed-width UTC
text from the application, so comparing them as text compares instants), no integer
arithmetic that could overflow (SQLite would silently switch to REAL).

Where one text cannot serve both databases, the variant is declared in `PER_BACKEND_SQL`
(`storage.backends._sql_per_backend`), keyed by purpose and backend name, so an audit can
list every exception.
"""

from __future__ import annotations

from typing import Final

# --------------------------------------------------------------------------- transactions
COMMIT: Final = "COMMIT"
ROLLBACK: Final = "ROLLBACK"
# Savepoints are named sp_<depth> by the transaction code (never from user input).
SAVEPOINT_TEMPLATE: Final = "SAVEPOINT sp_{depth}"
RELEASE_SAVEPOINT_TEMPLATE: Final = "RELEASE SAVEPOINT sp_{depth}"
ROLLBACK_TO_SAVEPOINT_TEMPLATE: Final = "ROLLBACK TO SAVEPOINT sp_{depth}"
PING: Final = "SELECT 1 AS ok"

# --------------------------------------------------------------------------- column lists
_PROVENANCE = "actor_kind, actor_id, job_id, workflow_id, edit_event_id"
_PROVENANCE_PARAMS = ":actor_kind, :actor_id, :job_id, :workflow_id, :edit_event_id"
_SET_PROVENANCE = (
    "actor_kind = :actor_kind, actor_id = :actor_id, job_id = :job_id, "
    "workflow_id = :workflow_id, edit_event_id = :edit_event_id"
)
# Every content table carries the same provenance columns (workspaces, canvas nodes and
# canvas edges since migration 0004).
WORKSPACE_COLUMNS: Final = f"id, name, created_at, updated_at, {_PROVENANCE}"
DOCUMENT_COLUMNS: Final = f"id, workspace_id, title, created_at, updated_at, {_PROVENANCE}"
BLOCK_COLUMNS: Final = (
    "id, document_id, sequence, kind, raw_content, display_content, derived_content, "
    f"created_at, updated_at, {_PROVENANCE}"
)
CANVAS_COLUMNS: Final = DOCUMENT_COLUMNS  # canvases carry the same fields as documents
NODE_COLUMNS: Final = f"id, canvas_id, kind, x, y, data, {_PROVENANCE}"
EDGE_COLUMNS: Final = f"id, canvas_id, source_node_id, target_node_id, label, {_PROVENANCE}"
JOB_COLUMNS: Final = (
    "id, workspace_id, kind, state, inputs, outputs, error, pinned, created_at, updated_at"
)
RUN_COLUMNS: Final = "id, job_id, status, error, created_at, updated_at, last_heartbeat"
EXECUTION_COLUMNS: Final = (
    "id, workflow_run_id, node_id, status, inputs, outputs, error, started_at, finished_at, "
    "created_at"
)
_TERMINAL_JOB_STATES = "('completed', 'failed', 'cancelled')"

# --------------------------------------------------------------------------- workspaces
#: no row back when the id or the name is taken: the caller asks which, and its transaction
#: (no statement failed) stays usable without a savepoint
INSERT_WORKSPACE: Final = (
    f"INSERT INTO workspaces (id, name, name_digest, created_at, updated_at, {_PROVENANCE}) "
    f"VALUES (:id, :name, :name_digest, :now, :now, {_PROVENANCE_PARAMS}) "
    f"ON CONFLICT DO NOTHING RETURNING {WORKSPACE_COLUMNS}"
)
SELECT_WORKSPACES: Final = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces"
SELECT_WORKSPACE: Final = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = :id"
DELETE_WORKSPACE: Final = "DELETE FROM workspaces WHERE id = :id"

# --------------------------------------------------------------------------- documents
#: (like INSERT_WORKSPACE and INSERT_BLOCK: no row back for a taken id; the caller says
#: so) The workspace is checked by the same statement: no row back either when it does not
#: exist. (SQLite needs the WHERE before an upsert clause on INSERT ... SELECT.)
INSERT_DOCUMENT: Final = (
    f"INSERT INTO documents ({DOCUMENT_COLUMNS}) "
    f"SELECT :id, w.id, :title, :now, :now, {_PROVENANCE_PARAMS} FROM workspaces w "
    f"WHERE w.id = :workspace_id ON CONFLICT DO NOTHING RETURNING {DOCUMENT_COLUMNS}"
)
SELECT_DOCUMENTS: Final = (
    f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE workspace_id = :workspace_id"
)
SELECT_DOCUMENT: Final = f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = :id"
DELETE_DOCUMENT: Final = "DELETE FROM documents WHERE id = :id RETURNING workspace_id"

# --------------------------------------------------------------------------- blocks
INSERT_BLOCK: Final = (
    f"INSERT INTO blocks ({BLOCK_COLUMNS}) VALUES (:id, :document_id, :sequence, :kind, "
    f":raw_content, :display_content, :derived_content, :now, :now, {_PROVENANCE_PARAMS}) "
    f"ON CONFLICT DO NOTHING RETURNING {BLOCK_COLUMNS}"
)
#: a new block, after the highest sequence in its document (0 for the first) unless one is
#: given, and its document's workspace. No row back when the document does not exist, the id
#: or the sequence is taken, or the highest sequence is the largest BIGINT (the CASE keeps
#: the + 1 from overflowing: SQLite would make it a REAL): the caller says which.
INSERT_NEXT_BLOCK: Final = (
    f"INSERT INTO blocks ({BLOCK_COLUMNS}) "
    "SELECT :id, p.id, p.sequence, :kind, :raw_content, :display_content, :derived_content, "
    f":now, :now, {_PROVENANCE_PARAMS} FROM ("
    "SELECT d.id, COALESCE(:sequence, (SELECT CASE WHEN MAX(b.sequence) IS NULL THEN 0 "
    "WHEN MAX(b.sequence) < 9223372036854775807 THEN MAX(b.sequence) + 1 END "
    "FROM blocks b WHERE b.document_id = d.id)) AS sequence "
    "FROM documents d WHERE d.id = :document_id) p WHERE p.sequence IS NOT NULL "
    f"ON CONFLICT DO NOTHING RETURNING {BLOCK_COLUMNS}, "
    "(SELECT d.workspace_id FROM documents d WHERE d.id = blocks.document_id) AS workspace_id"
)
#: why INSERT_NEXT_BLOCK inserted nothing: its document (no row when there is none) and the
#: highest sequence in it, in one statement
SELECT_BLOCK_PARENT: Final = (
    "SELECT (SELECT MAX(b.sequence) FROM blocks b WHERE b.document_id = d.id) "
    "AS max_sequence FROM documents d WHERE d.id = :id"
)
SELECT_BLOCKS: Final = (
    f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE document_id = :document_id ORDER BY sequence"
)
SELECT_BLOCK: Final = f"SELECT {BLOCK_COLUMNS} FROM blocks WHERE id = :id"
SELECT_BLOCK_OWNER: Final = (
    "SELECT b.document_id, d.workspace_id FROM blocks b "
    "JOIN documents d ON d.id = b.document_id WHERE b.id = :id"
)
# `None` keeps a field: every field of a BlockUpdate is NOT NULL in the table.
UPDATE_BLOCK: Final = (
    "UPDATE blocks SET kind = COALESCE(:kind, kind), "
    "raw_content = COALESCE(:raw_content, raw_content), "
    "display_content = COALESCE(:display_content, display_content), "
    "derived_content = COALESCE(:derived_content, derived_content), "
    "sequence = COALESCE(:sequence, sequence), "
    f"updated_at = :now, {_SET_PROVENANCE} WHERE id = :id RETURNING {BLOCK_COLUMNS}"
)
DELETE_BLOCK: Final = "DELETE FROM blocks WHERE id = :id"
DELETE_DOCUMENT_BLOCKS: Final = "DELETE FROM blocks WHERE document_id = :document_id"

# --------------------------------------------------------------------------- canvases
INSERT_CANVAS: Final = (
    f"INSERT INTO canvases ({CANVAS_COLUMNS}) VALUES "
    f"(:id, :workspace_id, :title, :now, :now, {_PROVENANCE_PARAMS}) "
    f"RETURNING {CANVAS_COLUMNS}"
)
SELECT_CANVASES: Final = f"SELECT {CANVAS_COLUMNS} FROM canvases WHERE workspace_id = :workspace_id"
SELECT_CANVAS: Final = f"SELECT {CANVAS_COLUMNS} FROM canvases WHERE id = :id"
TOUCH_CANVAS: Final = (
    f"UPDATE canvases SET updated_at = :now, {_SET_PROVENANCE} WHERE id = :id "
    f"RETURNING {CANVAS_COLUMNS}"
)
DELETE_CANVAS: Final = "DELETE FROM canvases WHERE id = :id RETURNING workspace_id"
SELECT_CANVAS_NODES: Final = f"SELECT {NODE_COLUMNS} FROM canvas_nodes WHERE canvas_id = :canvas_id"
SELECT_CANVAS_EDGES: Final = f"SELECT {EDGE_COLUMNS} FROM canvas_edges WHERE canvas_id = :canvas_id"
DELETE_CANVAS_EDGES: Final = "DELETE FROM canvas_edges WHERE canvas_id = :canvas_id"
DELETE_CANVAS_NODES: Final = "DELETE FROM canvas_nodes WHERE canvas_id = :canvas_id"
INSERT_CANVAS_NODE: Final = (
    f"INSERT INTO canvas_nodes ({NODE_COLUMNS}) "
    f"VALUES (:id, :canvas_id, :kind, :x, :y, :data, {_PROVENANCE_PARAMS})"
)
INSERT_CANVAS_EDGE: Final = (
    f"INSERT INTO canvas_edges ({EDGE_COLUMNS}) "
    "VALUES (:id, :canvas_id, :source_node_id, :target_node_id, :label, "
    f"{_PROVENANCE_PARAMS})"
)

# --------------------------------------------------------------------------- AI jobs
INSERT_JOB: Final = (
    f"INSERT INTO ai_jobs ({JOB_COLUMNS}) VALUES "
    "(:id, :workspace_id, :kind, 'queued', :inputs, NULL, NULL, :pinned, :now, :now) "
    f"RETURNING {JOB_COLUMNS}"
)
SELECT_JOB: Final = f"SELECT {JOB_COLUMNS} FROM ai_jobs WHERE id = :id"
# Optional filters: CAST gives PostgreSQL a type for a parameter that is only tested for NULL.
_JOB_FILTERS = (
    "(CAST(:state AS TEXT) IS NULL OR state = :state) "
    "AND (CAST(:kind AS TEXT) IS NULL OR kind = :kind) "
    "AND (CAST(:workspace_id AS TEXT) IS NULL OR workspace_id = :workspace_id) "
    "AND (CAST(:created_from AS TEXT) IS NULL OR created_at >= :created_from) "
    "AND (CAST(:created_to AS TEXT) IS NULL OR created_at < :created_to)"
)
# Newest first with a limit, without trusting the server to order ids: the subquery finds
# the created_at of the limit-th newest matching job (timestamps are fixed-width ASCII, so
# every collation orders them alike); every job at least that new is returned and the API
# sorts them by (created_at, id) in code-point order and cuts at the limit.
SELECT_JOBS: Final = (
    f"SELECT {JOB_COLUMNS} FROM ai_jobs WHERE {_JOB_FILTERS} AND created_at >= COALESCE(("
    f"SELECT created_at FROM ai_jobs WHERE {_JOB_FILTERS} "
    "ORDER BY created_at DESC LIMIT 1 OFFSET :boundary_offset), '')"
)
UPDATE_JOB_STATE: Final = (
    "UPDATE ai_jobs SET state = :state, error = COALESCE(:error, error), updated_at = :now "
    f"WHERE id = :id AND state NOT IN {_TERMINAL_JOB_STATES} RETURNING {JOB_COLUMNS}"
)
UPDATE_JOB_OUTPUTS: Final = (
    f"UPDATE ai_jobs SET outputs = :outputs, updated_at = :now WHERE id = :id "
    f"RETURNING {JOB_COLUMNS}"
)
UPDATE_JOB_PINNED: Final = (
    f"UPDATE ai_jobs SET pinned = :pinned, updated_at = :now WHERE id = :id RETURNING {JOB_COLUMNS}"
)
FAIL_JOB: Final = (
    "UPDATE ai_jobs SET state = 'failed', error = :error, updated_at = :now "
    f"WHERE id = :id AND state NOT IN {_TERMINAL_JOB_STATES}"
)
SELECT_FINISHED_JOBS: Final = (
    "SELECT id, workspace_id, kind, pinned, created_at FROM ai_jobs "
    f"WHERE state IN {_TERMINAL_JOB_STATES}"
)
DELETE_JOB: Final = "DELETE FROM ai_jobs WHERE id = :id AND pinned = 0"

# --------------------------------------------------------------------------- workflows
INSERT_RUN: Final = (
    f"INSERT INTO workflow_runs ({RUN_COLUMNS}) VALUES "
    f"(:id, :job_id, 'pending', NULL, :now, :now, :now) RETURNING {RUN_COLUMNS}"
)
SELECT_RUN: Final = f"SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = :id"
HEARTBEAT_RUN: Final = (
    "UPDATE workflow_runs SET last_heartbeat = :now, updated_at = :now WHERE id = :id "
    f"RETURNING {RUN_COLUMNS}"
)
UPDATE_RUN_STATUS: Final = (
    "UPDATE workflow_runs SET status = :status, error = COALESCE(:error, error), "
    f"updated_at = :now WHERE id = :id RETURNING {RUN_COLUMNS}"
)
SELECT_STALLED_RUNS: Final = (
    f"SELECT {RUN_COLUMNS} FROM workflow_runs "
    "WHERE status IN ('pending', 'running') AND last_heartbeat < :cutoff"
)
INSERT_EXECUTION: Final = (
    f"INSERT INTO node_executions ({EXECUTION_COLUMNS}) VALUES "
    "(:id, :workflow_run_id, :node_id, 'pending', :inputs, NULL, NULL, NULL, NULL, :now) "
    f"RETURNING {EXECUTION_COLUMNS}"
)
SELECT_EXECUTIONS: Final = (
    f"SELECT {EXECUTION_COLUMNS} FROM node_executions WHERE workflow_run_id = :workflow_run_id"
)
# :started_at is "now" only when moving to running (kept if already set); :finished_at is
# "now" only for a terminal status.
UPDATE_EXECUTION: Final = (
    "UPDATE node_executions SET status = :status, "
    "started_at = COALESCE(started_at, :started_at), "
    "finished_at = COALESCE(:finished_at, finished_at), "
    "outputs = COALESCE(:outputs, outputs), error = COALESCE(:error, error) "
    f"WHERE id = :id RETURNING {EXECUTION_COLUMNS}"
)

# --------------------------------------------------------------------------- derived data
INSERT_SEARCH_POSTING: Final = (
    "INSERT INTO search_tokens (token, block_id, document_id, workspace_id) "
    "VALUES (:token, :block_id, :document_id, :workspace_id)"
)
DELETE_BLOCK_POSTINGS: Final = "DELETE FROM search_tokens WHERE block_id = :block_id"
SELECT_POSTINGS: Final = (
    "SELECT block_id, document_id, workspace_id FROM search_tokens WHERE token = :token "
    "AND (CAST(:workspace_id AS TEXT) IS NULL OR workspace_id = :workspace_id)"
)
# Adds deltas to a workspace's counters (creating the row if it is missing).
BUMP_COUNTERS: Final = (
    "INSERT INTO workspace_counters "
    "(workspace_id, document_count, block_count, canvas_count, job_count) "
    "VALUES (:workspace_id, :documents, :blocks, :canvases, :jobs) "
    "ON CONFLICT (workspace_id) DO UPDATE SET "
    "document_count = workspace_counters.document_count + excluded.document_count, "
    "block_count = workspace_counters.block_count + excluded.block_count, "
    "canvas_count = workspace_counters.canvas_count + excluded.canvas_count, "
    "job_count = workspace_counters.job_count + excluded.job_count"
)
SELECT_COUNTERS: Final = (
    "SELECT w.id AS workspace_id, c.document_count, c.block_count, c.canvas_count, "
    "c.job_count FROM workspaces w "
    "LEFT JOIN workspace_counters c ON c.workspace_id = w.id WHERE w.id = :workspace_id"
)
DELETE_ALL_POSTINGS: Final = "DELETE FROM search_tokens"
DELETE_ALL_COUNTERS: Final = "DELETE FROM workspace_counters"
SELECT_BLOCKS_TO_INDEX: Final = (
    "SELECT b.id, b.document_id, d.workspace_id, b.raw_content FROM blocks b "
    "JOIN documents d ON d.id = b.document_id"
)
RECOUNT_ALL_WORKSPACES: Final = (
    "INSERT INTO workspace_counters "
    "(workspace_id, document_count, block_count, canvas_count, job_count) "
    "SELECT w.id, "
    "(SELECT COUNT(*) FROM documents d WHERE d.workspace_id = w.id), "
    "(SELECT COUNT(*) FROM blocks b JOIN documents d ON d.id = b.document_id "
    "WHERE d.workspace_id = w.id), "
    "(SELECT COUNT(*) FROM canvases c WHERE c.workspace_id = w.id), "
    "(SELECT COUNT(*) FROM ai_jobs j WHERE j.workspace_id = w.id) "
    "FROM workspaces w"
)

# --------------------------------------------------------------------------- migrations
CREATE_VERSION_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
SELECT_APPLIED_MIGRATIONS: Final = "SELECT version, name, applied_at FROM schema_migrations"
INSERT_MIGRATION: Final = (
    "INSERT INTO schema_migrations (version, name, applied_at) "
    "VALUES (:version, :name, :applied_at)"
)
DELETE_MIGRATION: Final = "DELETE FROM schema_migrations WHERE version = :version"
VERSION_TABLE_NAME: Final = "schema_migrations"

# Children before parents, so that no delete waits on a cascade (and none is needed).
# A test checks that this covers every application table the migrations create.
RESET_DATA: Final = (
    "DELETE FROM search_tokens",
    "DELETE FROM workspace_counters",
    "DELETE FROM node_executions",
    "DELETE FROM workflow_runs",
    "DELETE FROM ai_jobs",
    "DELETE FROM canvas_edges",
    "DELETE FROM canvas_nodes",
    "DELETE FROM canvases",
    "DELETE FROM blocks",
    "DELETE FROM documents",
    "DELETE FROM workspaces",
)


def shared_statements() -> dict[str, str]:
    """Every shared SQL text by name (for audits: each must run on every backend)."""
    texts: dict[str, str] = {}
    for key, value in globals().items():
        if key.startswith("_") or not key.isupper():
            continue
        if key.endswith(("_COLUMNS", "_TEMPLATE", "_NAME", "_SQL")):
            continue
        if isinstance(value, str):
            texts[key] = value
        elif isinstance(value, tuple):
            texts.update({f"{key}[{i}]": text for i, text in enumerate(value)})
    return texts
