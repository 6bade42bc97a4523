"""The SQL texts that differ between the backends, keyed by purpose then backend name
(`Driver.sql(purpose)` picks one): everything else is shared (`storage.backends._sql`)."""

from __future__ import annotations

from typing import Final

# The only texts that differ between the backends, and why:
#  - begin_write: SQLite takes the write lock at BEGIN IMMEDIATE, so two writers wait
#    (busy_timeout) instead of failing with SQLITE_BUSY when a read lock is upgraded;
#    PostgreSQL locks rows as it writes.
#  - connection_setup: SQLite leaves foreign keys off unless each connection turns them on
#    (PostgreSQL's session settings come with the connection options instead).
#  - server_version: how each server names its version (SQLite's comes from the library).
#  - begin_read: a read that takes several statements (a canvas graph, a search) sees one
#    snapshot. SQLite's deferred BEGIN does that; PostgreSQL's default READ COMMITTED would
#    let each statement see other transactions' newer commits.
#  - create_schema / schema_exists: only PostgreSQL has schemas (the name is a validated
#    identifier); CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
#    schema exists, so it runs only when the schema is missing.
#  - lock_migrations: PostgreSQL serialises concurrent migration runners with a table lock;
#    on SQLite BEGIN IMMEDIATE has already done it.
#  - catalog_*: each database describes its schema in its own catalog.
PER_BACKEND_SQL: Final[dict[str, dict[str, str]]] = {
    "begin_read": {"sqlite": "BEGIN", "postgres": "BEGIN ISOLATION LEVEL REPEATABLE READ"},
    "begin_write": {"sqlite": "BEGIN IMMEDIATE", "postgres": "BEGIN"},
    "connection_setup": {"sqlite": "PRAGMA foreign_keys = ON", "postgres": ""},
    "server_version": {"sqlite": "", "postgres": "SHOW server_version"},
    "create_schema": {"sqlite": "", "postgres": 'CREATE SCHEMA IF NOT EXISTS "{schema}"'},
    "schema_exists": {
        "sqlite": "",
        "postgres": "SELECT 1 FROM pg_namespace WHERE nspname = :schema",
    },
    "lock_migrations": {
        "sqlite": "",
        "postgres": "LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE",
    },
    "catalog_tables": {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgres": (
            "SELECT c.relname AS name FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        ),
    },
    "catalog_columns": {
        "sqlite": (
            'SELECT name, type, "notnull" AS not_null, pk AS pk_position '
            "FROM pragma_table_info(:table) ORDER BY cid"
        ),
        "postgres": (
            "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, "
            "a.attnotnull AS not_null, COALESCE(("
            "SELECT k.ord FROM pg_constraint p, unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord) "
            "WHERE p.conrelid = a.attrelid AND p.contype = 'p' AND k.attnum = a.attnum"
            "), 0) AS pk_position "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = :table "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
    },
    "catalog_foreign_keys": {
        "sqlite": (
            'SELECT id, "from" AS column_name, "table" AS ref_table, "to" AS ref_column, '
            "on_delete FROM pragma_foreign_key_list(:table) ORDER BY id, seq"
        ),
        "postgres": (
            "SELECT con.conname AS id, a.attname AS column_name, rc.relname AS ref_table, "
            "ra.attname AS ref_column, con.confdeltype AS on_delete "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_class rc ON rc.oid = con.confrelid "
            "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) "
            "WITH ORDINALITY AS k(attnum, refnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
            "JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum "
            "WHERE n.nspname = current_schema() AND c.relname = :table "
            "AND con.contype = 'f' ORDER BY con.conname, k.ord"
        ),
    },
    # kind: 'u' = unique constraint, 'c' = index created with CREATE [UNIQUE] INDEX,
    # 'pk' = the primary key's own index (ignored: the primary key is reported per column).
    "catalog_indexes": {
        "sqlite": (
            'SELECT name, "unique" AS is_unique, origin AS kind FROM pragma_index_list(:table)'
        ),
        "postgres": (
            "SELECT i.relname AS name, ix.indisunique AS is_unique, "
            "CASE WHEN con.contype = 'p' THEN 'pk' WHEN con.contype = 'u' THEN 'u' "
            "ELSE 'c' END AS kind "
            "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
            "JOIN pg_class c ON c.oid = ix.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid "
            "AND con.contype IN ('p', 'u') "
            "WHERE n.nspname = current_schema() AND c.relname = :table"
        ),
    },
    "catalog_index_columns": {
        "sqlite": "SELECT name FROM pragma_index_info(:index) ORDER BY seqno",
        "postgres": (
            "SELECT a.attname AS name FROM pg_class i "
            "JOIN pg_namespace n ON n.oid = i.relnamespace "
            "JOIN pg_index ix ON ix.indexrelid = i.oid "
            "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum "
            "WHERE n.nspname = current_schema() AND i.relname = :index ORDER BY k.ord"
        ),
    },
}
