"""PostgreSQL backend (psycopg 3 with a `psycopg_pool.ConnectionPool`).

Connections are in autocommit mode so the shared code issues BEGIN/SAVEPOINT/COMMIT itself
(the same statements as on SQLite). A thread holds one pooled connection for the whole of a
transaction; outside one, each API call borrows a connection for its own transaction. The
pool checks a connection before lending it and drops broken ones, so a restarted server
costs no call: the check asks the connection's socket (no round trip) whether the server
said anything since the connection went idle, which an idle connection only hears when the
server ends it, and only then asks the server. ``search_path`` (the application's schema),
``statement_timeout``, ``lock_timeout`` and ``connect_timeout`` are set through the
connection options. ``lock_timeout`` is `busy_timeout`, so a write blocked by another
connection's lock fails with `SerializationError` after the same wait as on SQLite,
instead of running into ``statement_timeout``.
"""

from __future__ import annotations

import functools
import math
import re
import select
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from storage.api import Backend, Capability
from storage.backends import _sql
from storage.backends._base import SqlDatabase
from storage.backends._driver import Driver, Params, Row, ScriptFailed, Settings
from storage.backends.pgrefusals import Refusal, refusal
from storage.errors import (
    Conflict,
    LoginRefused,
    NotMigrated,
    SerializationError,
    StatementTimeout,
    StorageError,
    StoreNotFound,
    Unavailable,
    ValidationError,
)
from storage.url import DatabaseUrl

Connection = psycopg.Connection[DictRow]
POOL_MAX_SIZE = 8
_ON_DELETE = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}
#: the savepoint a script (`PostgresDriver.run_script`) rolls back to when it fails
_SCRIPT_SAVEPOINT = "storage_script"
_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.cache
def pyformat(sql: str) -> str:
    """``:name`` placeholders → psycopg's ``%(name)s`` (and a literal ``%`` → ``%%``)."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql.replace("%", "%%"))


# Convert every shared text once, at import.
for _text in _sql.shared_statements().values():
    pyformat(_text)


def _login_refused(state: str, detail: str) -> bool:
    return state.startswith("28") or refusal(detail) in (Refusal.LOGIN, Refusal.UNKNOWN_ROLE)


def map_error(exc: psycopg.Error, url: DatabaseUrl) -> StorageError:
    """The `storage.errors` type for a psycopg error, by SQLSTATE (raise it ``from`` exc)."""
    state = exc.sqlstate or ""
    detail = url.scrub(" ".join(str(exc).split()))
    where = url.redacted
    if state in ("23505", "23503"):
        return Conflict(
            f"{'uniqueness' if state == '23505' else 'foreign key'} violated "
            f"({state}) in {where}: {detail}"
        )
    if (
        state in ("23502", "23514", "54000")
        or state.startswith("22")
        or (not state and isinstance(exc, psycopg.DataError))  # e.g. NUL, refused client-side
    ):
        return ValidationError(f"value refused ({state}) in {where}: {detail}")
    if state in ("40001", "40P01"):
        return SerializationError(f"concurrent transaction won ({state}) in {where}: {detail}")
    if state == "55P03":  # lock_not_available: lock_timeout (= busy_timeout) ran out
        return SerializationError(
            f"database busy: another connection held a lock past the busy timeout ({state}) "
            f"in {where}: {detail}"
        )
    if state == "42P01":
        # The layer queries only its own tables, so a missing one means a missing migration.
        return NotMigrated(
            f"table missing ({state}) in {where}: {detail}: the schema is not migrated; run "
            "`dualstore migrate up` (or Database.run_migrations())"
        )
    if state == "3D000" or (
        isinstance(exc, psycopg.OperationalError) and refusal(detail) is Refusal.NO_DATABASE
    ):
        return StoreNotFound(
            f"database does not exist{f' ({state})' if state else ''}: {where}: {detail}: "
            "fix the database name "
            "in the URL, or create the database"
        )
    if state == "57014":
        return StatementTimeout(f"statement cancelled ({state}) in {where}: {detail}")
    if isinstance(exc, psycopg.OperationalError) and _login_refused(state, detail):
        return LoginRefused(f"login refused{f' ({state})' if state else ''}: {where}: {detail}")
    if (
        state.startswith(("08", "53"))
        or state in ("57P01", "57P02", "57P03")
        or (not state and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError))
    ):
        return Unavailable(
            f"database unavailable{f' ({state})' if state else ''}: {where}: {detail}"
        )
    return StorageError(f"PostgreSQL error{f' ({state})' if state else ''} in {where}: {detail}")


def _still_alive(conn: Connection) -> None:
    """The pool's check of a connection it is about to lend (raises if it is broken). An
    idle connection in autocommit mode is sent nothing unless its session ends (a server
    shutting down or restarting sends the reason, then closes the socket): so a socket with
    nothing to read is alive, and only a readable one costs psycopg's round-trip check."""
    if conn.closed:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:
        ConnectionPool.check_connection(conn)


class PostgresDriver(Driver[Connection]):
    backend = Backend.POSTGRES

    def __init__(self, url: DatabaseUrl, settings: Settings) -> None:
        super().__init__(url, settings)
        self.capabilities = frozenset(
            {Capability.CONCURRENT_WRITERS, Capability.SERVER, Capability.PERSISTENT}
        )
        self._conninfo = self._build_conninfo()
        self._version = self._probe()
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            self._conninfo,
            connection_class=psycopg.Connection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=1,
            max_size=POOL_MAX_SIZE,
            timeout=settings.connect_timeout,
            check=_still_alive,
            name="dualstore",
            open=False,
        )
        self._pool.open(wait=False)

    def _build_conninfo(self) -> str:
        assert self.url.conninfo is not None
        settings = self.settings
        try:
            given = conninfo_to_dict(self.url.conninfo)
        except psycopg.ProgrammingError as exc:
            raise ValidationError(
                f"invalid PostgreSQL URL {self.url.redacted}: {self.url.scrub(str(exc))}"
            ) from None
        options = [str(given.get("options") or "")]
        if settings.schema:
            # Quoted so that the name keeps its case, as CREATE SCHEMA "name" does.
            options.append(f'-c search_path="{settings.schema}"')
        statement_ms = (
            0
            if settings.statement_timeout is None
            else max(1, round(settings.statement_timeout * 1000))
        )
        options.append(f"-c statement_timeout={statement_ms}")
        # 0 would mean "wait forever" to PostgreSQL; SQLite's 0 means "do not wait".
        options.append(f"-c lock_timeout={max(1, round(settings.busy_timeout * 1000))}")
        return make_conninfo(
            self.url.conninfo,
            options=" ".join(o for o in options if o),
            connect_timeout=str(max(1, math.ceil(settings.connect_timeout))),
            application_name=str(given.get("application_name") or "dualstore"),
        )

    def _probe(self) -> str:
        """Connect once, so that connect() fails now, with the server's reason."""
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as conn:
                row = conn.execute(self.sql("server_version")).fetchone()
                schema = self.settings.schema
                if schema and not self.settings.create:
                    found = conn.execute(pyformat(self.sql("schema_exists")), {"schema": schema})
                    if found.fetchone() is None:
                        raise StoreNotFound(
                            f"schema {schema!r} does not exist in {self.url.redacted}: check "
                            "the schema name (--schema, ?schema= or schema=) for a typo, or "
                            "create it with `dualstore migrate up`"
                        )
        # The driver error stays the cause, but without its frames: they hold the conninfo
        # (with the password) as arguments, which pytest prints in long tracebacks.
        except psycopg.ProgrammingError as exc:
            raise ValidationError(
                f"invalid PostgreSQL URL {self.url.redacted}: {self.url.scrub(str(exc))}"
            ) from exc.with_traceback(None)
        except psycopg.Error as exc:
            mapped = map_error(exc, self.url)
            if not isinstance(mapped, Unavailable):
                mapped = Unavailable(f"cannot connect to {self.url.redacted}: {mapped}")
            raise mapped from exc.with_traceback(None)
        return str(row[0]) if row else "unknown"

    @contextmanager
    def pinned(self) -> Iterator[Connection]:
        try:
            conn = self._pool.getconn()
        except psycopg.OperationalError as exc:  # PoolTimeout, PoolClosed
            raise Unavailable(self._why_no_connection(exc)) from exc
        try:
            yield conn
        finally:
            self._pool.putconn(conn)  # the pool drops it if broken, rolls back if left open

    def _why_no_connection(self, exc: psycopg.OperationalError) -> str:
        if self._pool.closed:
            return f"database {self.url.redacted} is closed"
        try:
            self._probe()
        except StorageError as reason:
            return str(reason)
        return (
            f"no connection to {self.url.redacted} within "
            f"{self.settings.connect_timeout:g} s (pool of {POOL_MAX_SIZE} busy): {exc}"
        )

    def run(
        self, conn: Connection, sql: str, params: Params | None = None
    ) -> tuple[list[Row], int]:
        try:
            if params is None:
                # No placeholders to convert; never prepared (transaction control, DDL).
                cursor = conn.execute(sql, prepare=False)
            else:
                cursor = conn.execute(pyformat(sql), params)
            rows: list[Row] = cursor.fetchall() if cursor.description is not None else []
            return rows, cursor.rowcount
        except psycopg.Error as exc:
            raise map_error(exc, self.url) from exc

    def run_many(self, conn: Connection, sql: str, params: Sequence[Params]) -> None:
        try:
            with conn.cursor() as cursor:
                cursor.executemany(pyformat(sql), params)
        except psycopg.Error as exc:
            raise map_error(exc, self.url) from exc

    def run_script(self, conn: Connection, statements: Sequence[str]) -> None:
        """The statements in one round trip (one simple query: a migration file's DDL
        costs about half as much so). A savepoint goes first, in the same query; when the
        script fails, the transaction rolls back to it and the statements run one at a time,
        which names the failing one. (The statements are `split_statements`': no
        comments, no trailing ';'.)"""
        if len(statements) < 2:
            super().run_script(conn, statements)
            return
        try:
            self.run(conn, ";\n".join((f"SAVEPOINT {_SCRIPT_SAVEPOINT}", *statements)))
        except Unavailable:
            raise  # the connection is gone: nothing to roll back to
        except StorageError as exc:
            self.run(conn, f"ROLLBACK TO SAVEPOINT {_SCRIPT_SAVEPOINT}")
            super().run_script(conn, statements)
            raise ScriptFailed(None, exc) from exc  # (one at a time, they all passed)

    def discard(self, conn: Connection) -> None:
        conn.close()  # a closed connection is dropped by the pool when it comes back

    def server_version(self) -> str:
        return f"PostgreSQL {self._version}"

    def on_delete_name(self, raw: str) -> str:
        return _ON_DELETE.get(raw, raw)

    def close(self) -> None:
        self._pool.close()


class PostgresDatabase(SqlDatabase):
    """The storage API on PostgreSQL (all behaviour is shared; only the driver differs)."""

    def __init__(
        self, url: DatabaseUrl, settings: Settings, *, migrations_dir: Path | None = None
    ) -> None:
        super().__init__(PostgresDriver(url, settings), migrations_dir=migrations_dir)


__all__ = ["PostgresDatabase", "PostgresDriver", "map_error"]
