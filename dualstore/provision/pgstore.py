"""A PostgreSQL store's own SQL: the raw connection to a worker's schema, the harness's
migrations ledger, the catalog of its tables and the default reset. psycopg is imported
inside functions (see `postgres`)."""

# ruff: noqa: PLC0415  (driver imports are deliberately local)

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dualstore.project import LEDGER_TABLE

if TYPE_CHECKING:
    import psycopg

    from dualstore.serverurl import ServerUrl


def connect_schema(url: ServerUrl, schema: str) -> psycopg.Connection[Any]:
    """A raw connection (not autocommit) whose search_path is the store's schema; the
    URL's own `options`, if any, are kept."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    conninfo = url.conninfo
    given = str(conninfo_to_dict(conninfo).get("options") or "")
    # quoted: store names hold capitals (the run id's "T"), which an unquoted name folds
    quoted = '"' + schema.replace('"', '""') + '"'
    options = f"{given} -c search_path={quoted}".strip()
    return psycopg.connect(make_conninfo(conninfo, options=options))


def server_version(conn: Any) -> str:
    version = conn.execute("SHOW server_version").fetchone()[0]
    conn.rollback()
    return f"PostgreSQL {version}"


#: the database's collation columns, by server version (ICU as a database's default
#: collation exists from PostgreSQL 15; its locale column was renamed in 17)
_COLLATION = {
    170000: "SELECT datlocprovider, datlocale, datcollate FROM pg_database",
    150000: "SELECT datlocprovider, daticulocale, datcollate FROM pg_database",
}
_LIBC_COLLATION = "SELECT 'c', NULL, datcollate FROM pg_database"


def collation(conn: Any) -> str:
    """How the database sorts text, e.g. "ICU en-US" or "libc C.UTF-8 (ICU needs >= 15)"."""
    version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    query = next((q for v, q in sorted(_COLLATION.items(), reverse=True) if version >= v), None)
    sql = (query or _LIBC_COLLATION) + " WHERE datname = current_database()"
    provider, icu_locale, collate = conn.execute(sql).fetchone()
    conn.rollback()
    if provider == "i":
        return f"ICU {icu_locale}"
    note = "" if query else " (ICU as the database collation needs PostgreSQL >= 15)"
    return f"libc {collate}{note}"


def applied_migrations(conn: Any) -> set[str]:
    from psycopg import sql

    ledger = sql.Identifier(LEDGER_TABLE)
    with conn.transaction():
        conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY)").format(ledger)
        )
        rows = conn.execute(sql.SQL("SELECT name FROM {}").format(ledger)).fetchall()
    return {str(row[0]) for row in rows}


def apply_migration(conn: Any, name: str, text: str) -> None:
    from psycopg import sql

    with conn.transaction():  # the file and its ledger row: all or nothing
        conn.execute(text.encode())  # no parameters: the file may hold many statements
        conn.execute(
            sql.SQL("INSERT INTO {} (name) VALUES (%s)").format(sql.Identifier(LEDGER_TABLE)),
            (name,),
        )


_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
_REFERENCES = """
SELECT child.relname, parent.relname FROM pg_constraint k
JOIN pg_class child ON child.oid = k.conrelid
JOIN pg_class parent ON parent.oid = k.confrelid
JOIN pg_namespace n ON n.oid = child.relnamespace
WHERE k.contype = 'f' AND n.nspname = current_schema()
"""


def tables(conn: Any) -> dict[str, frozenset[str]]:
    names = [str(row[0]) for row in conn.execute(_TABLES).fetchall()]
    references: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in conn.execute(_REFERENCES).fetchall():
        references.setdefault(str(child), set()).add(str(parent))
    conn.rollback()
    return {name: frozenset(refs) for name, refs in references.items()}


def empty_tables(conn: Any, names: Sequence[str]) -> None:
    from psycopg import sql

    for name in names:
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(name)))
    conn.commit()
