"""SQLite backend (standard library `sqlite3`).

One connection per `Database`, opened in autocommit mode (``isolation_level=None``) so the
shared code issues BEGIN/SAVEPOINT/COMMIT itself; a lock gives the connection to one thread
at a time for a whole transaction, so a `Database` is safe to share between threads.
``PRAGMA foreign_keys=ON`` is set on the connection (SQLite's default is off).

`sqlite3` reports every path problem as SQLITE_CANTOPEN; opening looks at the path to say
which one it is (no directory, no file, a directory), because only the cause tells the
user the fix, and none of them is worth retrying. ``create=False`` opens the file through
a ``mode=rw`` URI, so SQLite itself refuses to create it (no check-then-open race).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from storage.api import Backend, Capability
from storage.backends._base import SqlDatabase
from storage.backends._driver import Driver, Params, Row, Settings
from storage.errors import (
    Conflict,
    NotADatabase,
    NotMigrated,
    SerializationError,
    StorageError,
    StoreNotFound,
    Unavailable,
    ValidationError,
)
from storage.url import MEMORY, DatabaseUrl

# Extended result codes (`sqlite3.Error.sqlite_errorname`) → our errors; prefixes match
# every extended code of a family (e.g. SQLITE_BUSY_SNAPSHOT).
_ERROR_MAP: tuple[tuple[tuple[str, ...], type[StorageError], str], ...] = (
    (("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"), Conflict, "uniqueness violated"),
    (("SQLITE_CONSTRAINT_FOREIGNKEY",), Conflict, "foreign key violated"),
    (
        (
            "SQLITE_CONSTRAINT_NOTNULL",
            "SQLITE_CONSTRAINT_CHECK",
            "SQLITE_TOOBIG",
            "SQLITE_MISMATCH",
            "SQLITE_RANGE",
        ),
        ValidationError,
        "value refused",
    ),
    (("SQLITE_BUSY", "SQLITE_LOCKED"), SerializationError, "database busy"),
    (("SQLITE_NOTADB",), NotADatabase, "not a SQLite database"),
    (
        (
            "SQLITE_CANTOPEN",
            "SQLITE_IOERR",
            "SQLITE_CORRUPT",
            "SQLITE_FULL",
            "SQLITE_READONLY",
            "SQLITE_PERM",
            "SQLITE_AUTH",
        ),
        Unavailable,
        "database unavailable",
    ),
)


def map_error(exc: sqlite3.Error, where: str) -> StorageError:
    """The `storage.errors` type for a `sqlite3` error (the caller raises it ``from`` exc)."""
    code = getattr(exc, "sqlite_errorname", None) or ""
    if code == "SQLITE_ERROR" and str(exc).startswith("no such table"):
        # The layer queries only its own tables, so a missing one means a missing migration.
        return NotMigrated(
            f"{exc} in {where}: the database is not migrated; run `dualstore migrate up` "
            "(or Database.run_migrations())"
        )
    for prefixes, error_type, summary in _ERROR_MAP:
        if code.startswith(prefixes):
            return error_type(f"{summary} ({code}) in {where}: {exc}")
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
        return Unavailable(f"database {where} is closed")
    return StorageError(f"SQLite error{f' ({code})' if code else ''} in {where}: {exc}")


class SqliteDriver(Driver[sqlite3.Connection]):
    backend = Backend.SQLITE

    def __init__(self, url: DatabaseUrl, settings: Settings) -> None:
        super().__init__(url, settings)
        path = url.path or MEMORY
        self.capabilities = frozenset() if path == MEMORY else frozenset({Capability.PERSISTENT})
        self._lock = threading.Lock()
        must_exist = path != MEMORY and not settings.create
        try:
            conn = sqlite3.connect(
                f"file:{quote(path)}?mode=rw" if must_exist else path,
                timeout=settings.busy_timeout,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # guarded by self._lock instead
                uri=must_exist,
            )
        except sqlite3.Error as exc:
            raise self._open_error(path, exc) from exc
        try:
            conn.execute(self.sql("connection_setup"))
            # Reading the catalog proves the file is a database we can open.
            conn.execute(self.sql("catalog_tables")).fetchall()
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(path, exc) from exc
        self._conn: sqlite3.Connection | None = conn

    def _open_error(self, path: str, exc: sqlite3.Error) -> StorageError:
        """Why `path` cannot be opened, with the fix (see the module docstring)."""
        where, code = self.url.redacted, getattr(exc, "sqlite_errorname", None) or ""
        reason = f"({code}: {exc})"
        file = Path(path).absolute()  # the message names the file the user meant
        if code == "SQLITE_NOTADB":
            return NotADatabase(
                f"{where} is not a SQLite database {reason}: fix the path in the URL "
                "(the file was left as it is)"
            )
        if code != "SQLITE_CANTOPEN" or path == MEMORY:
            return map_error(exc, where)
        if not file.parent.is_dir():
            return StoreNotFound(
                f"cannot open {where} {reason}: there is no directory {file.parent}; "
                "create it, or fix the path in the URL"
            )
        if file.is_dir():
            return NotADatabase(
                f"cannot open {where} {reason}: {file} is a directory, not a database file; "
                "fix the path in the URL"
            )
        if not file.exists() and not self.settings.create:
            return StoreNotFound(
                f"cannot open {where} {reason}: the file {file} does not exist; check the "
                "path in the URL, or create the database with `dualstore migrate up`"
            )
        return map_error(exc, where)

    @contextmanager
    def pinned(self) -> Iterator[sqlite3.Connection]:
        conn = self._take()
        try:
            yield conn
        finally:
            self._lock.release()

    def run_alone(self, sql: str, params: Params | None = None) -> list[Row]:
        # (`pinned` without its context manager: reads by id are a few microseconds here,
        # and the generator's frames were a sixth of one)
        conn = self._take()
        try:
            return self.run(conn, sql, params)[0]
        finally:
            self._lock.release()

    def _take(self) -> sqlite3.Connection:
        """The connection, locked for the calling thread (release `_lock` after)."""
        # Waiting for another thread's transaction is the in-process busy timeout.
        if not self._lock.acquire(timeout=max(self.settings.busy_timeout, 0.001)):
            raise SerializationError(
                f"database busy: another thread kept {self.url.redacted} for longer than "
                f"the busy timeout ({self.settings.busy_timeout:g} s)"
            )
        if self._conn is None:
            self._lock.release()
            raise Unavailable(f"database {self.url.redacted} is closed")
        return self._conn

    def run(
        self, conn: sqlite3.Connection, sql: str, params: Params | None = None
    ) -> tuple[list[Row], int]:
        try:
            cursor = conn.execute(sql, params or {})
            if cursor.description is None:
                return [], cursor.rowcount
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
            return rows, cursor.rowcount
        except sqlite3.Error as exc:
            raise map_error(exc, self.url.redacted) from exc

    def run_many(self, conn: sqlite3.Connection, sql: str, params: Sequence[Params]) -> None:
        try:
            conn.executemany(sql, params)
        except sqlite3.Error as exc:
            raise map_error(exc, self.url.redacted) from exc

    def discard(self, conn: sqlite3.Connection) -> None:
        # One long-lived connection: nothing to throw away; a later BEGIN reports any damage.
        return None

    def server_version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class SqliteDatabase(SqlDatabase):
    """The storage API on SQLite (all behaviour is shared; only the driver differs)."""

    def __init__(
        self, url: DatabaseUrl, settings: Settings, *, migrations_dir: Path | None = None
    ) -> None:
        super().__init__(SqliteDriver(url, settings), migrations_dir=migrations_dir)


__all__ = ["SqliteDatabase", "SqliteDriver", "map_error"]
