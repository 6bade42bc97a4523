"""A tiny notes store in plain DB-API code: it runs on a sqlite3 or a psycopg connection.

The only difference it handles is the parameter style (sqlite3 takes `?`, psycopg `%s`).
"""

from __future__ import annotations

import sys
from typing import Any


def _sql(conn: Any, text: str) -> str:
    return text.replace("%s", "?") if type(conn).__module__.startswith("sqlite3") else text


def add_notebook(conn: Any, notebook_id: int, name: str) -> None:
    conn.execute(
        _sql(conn, "INSERT INTO notebooks (id, name) VALUES (%s, %s)"), (notebook_id, name)
    )


def add_note(conn: Any, note_id: int, notebook_id: int, body: str) -> None:
    conn.execute(
        _sql(conn, "INSERT INTO notes (id, notebook_id, body) VALUES (%s, %s, %s)"),
        (note_id, notebook_id, body),
    )


def notes_in(conn: Any, notebook: str) -> list[str]:
    """The bodies of a notebook's notes, oldest first."""
    rows = conn.execute(
        _sql(
            conn,
            "SELECT n.body FROM notes n JOIN notebooks b ON b.id = n.notebook_id "
            "WHERE b.name = %s ORDER BY n.id",
        ),
        (notebook,),
    ).fetchall()
    return [row[0] for row in rows]


def find_notes(conn: Any, pattern: str) -> list[str]:
    """The bodies that match a LIKE pattern, case-insensitively on every backend (SQLite's
    LIKE ignores ASCII case, PostgreSQL's does not: both sides are lowered)."""
    rows = conn.execute(
        _sql(conn, "SELECT body FROM notes WHERE lower(body) LIKE lower(%s) ORDER BY id"),
        (pattern,),
    ).fetchall()
    return [row[0] for row in rows]


def integrity_error(conn: Any) -> type[Exception]:
    """The DB-API module's IntegrityError for this connection (sqlite3's or psycopg's)."""
    error: type[Exception] = sys.modules[type(conn).__module__.split(".")[0]].IntegrityError
    return error


def count(conn: Any, table: str) -> int:
    assert table in {"notebooks", "notes"}
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
