"""Transactions and statement helpers shared by every backend.

Each thread that enters a transaction pins one connection (`Driver.pinned`) for its
duration; nested levels are savepoints on that connection. Every API method that writes runs
in a level of its own, so outside a transaction it is atomic, and inside a caller's
transaction a failure rolls back only the method's savepoint: the caller's transaction stays
usable (on PostgreSQL an error would otherwise abort the whole transaction). A write that
refuses only before it writes (a check, a row it reads and does not find) and makes its
changes with statements that cannot be refused (an insert that skips a taken key and says
so, an upsert) is atomic without a savepoint: `_writing(savepoint=False)`.

Reads cost no transaction statements of their own. A read of one statement (`_read_rows`)
runs on its own outside a transaction (one statement is one snapshot), on a connection held
only for it, and as part of the caller's inside one; a read of several statements that must
agree (`_snapshot`) is a REPEATABLE READ transaction outside one. Inside a caller's
transaction neither takes a savepoint: a read changes nothing that a rollback would have to
undo.

The derived indexes' rows (search postings, counter changes) are held on the pin, not sent
as each write makes them: they go in one batch when the level commits, before a savepoint
opens, or before a read of the indexes (`_write_held`). A transaction rolled back, as every
test's is under the rollback isolation, never sends them at all; one that commits sends
them in the same transaction as the canonical rows, so the indexes never lag a commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.api import Backend, Capability, Transaction
from storage.backends import _sql
from storage.backends._driver import Driver, Params, Row
from storage.backends._values import CLOCK
from storage.errors import NotFound, StorageError, Unavailable

DEFAULT_MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class _Level:
    """One transaction level (the outer transaction or a savepoint)."""

    __slots__ = ("rollback_only",)

    def __init__(self) -> None:
        self.rollback_only = False

    def set_rollback(self) -> None:
        self.rollback_only = True


class _Pin:
    """The calling thread's connection, how deep its savepoints go, and the derived-index
    writes held back for its innermost level (see `CoreDatabase._write_held`)."""

    __slots__ = ("conn", "depth", "held")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.depth = 0
        self.held: Any = None


class CoreDatabase:
    """State and transaction machinery; the API methods live in the mixins built on it."""

    backend: Backend
    capabilities: frozenset[Capability]

    def __init__(self, driver: Driver[Any], *, migrations_dir: Path | None = None) -> None:
        self._driver = driver
        self.backend = driver.backend
        self.capabilities = driver.capabilities
        self._migrations_dir = migrations_dir or DEFAULT_MIGRATIONS_DIR
        self._local = threading.local()
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._driver.url.redacted}>"

    def __enter__(self) -> CoreDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------------- lifecycle
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._driver.close()

    def server_version(self) -> str:
        self._check_open()
        return self._driver.server_version()

    def ping(self) -> None:
        self._read_rows(_sql.PING)

    # ----------------------------------------------------------------------- transactions
    def transaction(self) -> AbstractContextManager[Transaction]:
        return self._level(write=True)

    def _read_rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """A read that is one statement (see the module's docstring): its rows."""
        pin: _Pin | None = getattr(self._local, "pin", None)
        if pin is not None:
            return self._driver.run(pin.conn, sql, params)[0]  # the caller's transaction
        self._check_open()
        return self._driver.run_alone(sql, params)

    def _read_one(self, sql: str, params: Params | None = None) -> Row | None:
        rows = self._read_rows(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """The level of a read of several statements that must see one state."""
        if getattr(self._local, "pin", None) is not None:
            yield  # the caller's transaction
            return
        with self._outer(write=False):
            yield

    def _writing(self, *, savepoint: bool = True) -> AbstractContextManager[_Level]:
        return self._level(write=True, savepoint=savepoint)

    @contextmanager
    def _level(self, *, write: bool, savepoint: bool = True) -> Iterator[_Level]:
        pin: _Pin | None = getattr(self._local, "pin", None)
        if pin is None:
            with self._outer(write=write) as level:
                yield level
        elif savepoint:
            with self._savepoint(pin) as level:
                yield level
        else:
            yield _Level()  # the caller's transaction, as it is

    @contextmanager
    def _outer(self, *, write: bool) -> Iterator[_Level]:
        self._check_open()
        driver = self._driver
        with driver.pinned() as conn:
            self._local.pin = _Pin(conn)
            try:
                driver.run(conn, driver.sql("begin_write" if write else "begin_read"))
                level = _Level()
                try:
                    yield level
                    if not level.rollback_only:
                        self._write_held()
                except BaseException:
                    self._quietly(conn, _sql.ROLLBACK)
                    raise
                try:
                    driver.run(conn, _sql.ROLLBACK if level.rollback_only else _sql.COMMIT)
                except StorageError:
                    # SQLite keeps the transaction open when COMMIT fails (e.g. busy).
                    self._quietly(conn, _sql.ROLLBACK)
                    raise
            finally:
                self._local.pin = None

    @contextmanager
    def _savepoint(self, pin: _Pin) -> Iterator[_Level]:
        # What the enclosing levels hold goes in first: whatever the savepoint then holds
        # is its own, and a rollback to it drops exactly that.
        self._write_held()
        pin.depth += 1
        depth = pin.depth
        try:
            self._driver.run(pin.conn, _sql.SAVEPOINT_TEMPLATE.format(depth=depth))
            level = _Level()
            try:
                yield level
            except BaseException:
                pin.held = None
                self._quietly(
                    pin.conn,
                    _sql.ROLLBACK_TO_SAVEPOINT_TEMPLATE.format(depth=depth),
                    _sql.RELEASE_SAVEPOINT_TEMPLATE.format(depth=depth),
                )
                raise
            if level.rollback_only:
                pin.held = None
                self._driver.run(pin.conn, _sql.ROLLBACK_TO_SAVEPOINT_TEMPLATE.format(depth=depth))
            # (released, what it holds is its parent's)
            self._driver.run(pin.conn, _sql.RELEASE_SAVEPOINT_TEMPLATE.format(depth=depth))
        finally:
            pin.depth -= 1

    def _write_held(self) -> None:
        """Write the derived-index rows the current level holds back (`IndexesMixin`): the
        search postings and counter changes of the writes so far. They are held until the
        level commits, a savepoint opens, or a read needs them (a search, the counters), so
        a transaction that is rolled back, as a test's is, never writes them."""

    def _quietly(self, conn: Any, *statements: str) -> None:
        """Undo after a failure; the original error is what the caller needs to see."""
        try:
            for statement in statements:
                self._driver.run(conn, statement)
        except StorageError:
            self._driver.discard(conn)

    def _check_open(self) -> None:
        if self._closed:
            raise Unavailable(f"database {self._driver.url.redacted} is closed")

    # ----------------------------------------------------------------------- statements
    def _conn(self) -> Any:
        pin: _Pin | None = getattr(self._local, "pin", None)
        if pin is None:  # pragma: no cover - a bug in this package, not a caller's error
            raise RuntimeError("statement issued outside a transaction level")
        return pin.conn

    def _rows(self, sql: str, params: Params | None = None) -> list[Row]:
        return self._driver.run(self._conn(), sql, params)[0]

    def _one(self, sql: str, params: Params | None = None) -> Row | None:
        rows = self._driver.run(self._conn(), sql, params)[0]
        return rows[0] if rows else None

    def _require(self, sql: str, key: str, what: str) -> Row:
        """The row `sql` finds for `{"id": key}`, or `NotFound` naming `what`."""
        row = self._one(sql, {"id": key})
        if row is None:
            raise NotFound(f"{what} {key!r} does not exist")
        return row

    def _affected(self, sql: str, params: Params | None = None) -> int:
        return self._driver.run(self._conn(), sql, params)[1]

    def _many(self, sql: str, params: Sequence[Params]) -> None:
        if params:
            self._driver.run_many(self._conn(), sql, params)

    def _now(self) -> datetime:
        return CLOCK.now()
