"""Per-test isolation: every test starts from an empty store and leaves one behind.

Two modes, both on the worker's own migrated store (see `stores.WorkerStore`):

* rollback (the default `db`): the test runs inside one outer `db.transaction()` that is
  rolled back at teardown. Storage transactions nest as savepoints, so the test's own
  transactions and failing methods behave as in production, and undoing the test costs one
  ROLLBACK whatever it wrote.
* committing (`@pytest.mark.commits`, or the `db_committing` fixture): for tests that need
  real commits (a second connection must see the data, concurrency, transactions that
  really end). Writes are committed; after the test, passed or not, the store is reset
  with the fastest correct reset for its backend (`RESETS`).

Reset choice (measured on this machine with our migrated tables, README "Isolation
cost"): `DELETE FROM` each table (`Database.reset_data()`) beats `TRUNCATE` for the few
rows a test writes. TRUNCATE's cost grows with the number of tables, not rows (it
recreates files and takes ACCESS EXCLUSIVE locks); SQLite has no TRUNCATE at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from storage.api import Capability, Database
from storage.errors import Unavailable
from storage.testing.provision.base import WorkerStore
from storage.testing.runinfo import BackendInfo

COMMITS_MARKER: Final = "commits"
REQUIRES_MARKER: Final = "requires"


def reset_by_delete(db: Database) -> None:
    db.reset_data()


#: backend name -> how a committing test's writes are removed (fastest correct, measured)
RESETS: Final[dict[str, Callable[[Database], None]]] = {
    "sqlite": reset_by_delete,
    "postgres": reset_by_delete,
}


def unavailable_in(exc: BaseException | None) -> Unavailable | None:
    """`exc` or the first exception in its chain that is `storage.errors.Unavailable`."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, Unavailable):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _prepare(store: WorkerStore) -> None:
    """Before a test: finish a reset that an earlier test's cleanup could not do."""
    if store.needs_reset:
        _reset(store)


@contextmanager
def rolled_back(store: WorkerStore) -> Iterator[Database]:
    """The store's Database inside an outer transaction that is rolled back on exit."""
    _prepare(store)
    db = store.database
    try:
        with db.transaction() as tx:
            yield db
            tx.set_rollback()
    except BaseException:
        # The rollback itself failed (e.g. the server went away): do not trust the store.
        store.needs_reset = True
        raise


@contextmanager
def committed(store: WorkerStore) -> Iterator[Database]:
    """The store's Database without an outer transaction; reset after the test."""
    _prepare(store)
    try:
        yield store.database
    finally:
        _reset(store)


def _reset(store: WorkerStore) -> None:
    store.needs_reset = True
    RESETS[store.backend](store.database)
    store.needs_reset = False


@dataclass(slots=True)
class BackendUnderTest:
    """What the `backend` fixture gives a test: which backend, what it can do, and more
    connections to the same store. Suites should ask `has(capability)` (or better, mark
    the test `@pytest.mark.requires(...)`), never compare `name`."""

    name: str
    info: BackendInfo
    store: WorkerStore
    _extra: list[Database] = field(default_factory=list)

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(Capability(c) for c in self.info.capabilities)

    @property
    def server_version(self) -> str:
        return self.info.server_version

    @property
    def location(self) -> str:
        """This worker's schema (PostgreSQL) or database file (SQLite)."""
        return self.store.location

    def has(self, capability: Capability | str) -> bool:
        return str(capability) in self.info.capabilities

    def connect(self) -> Database:
        """A second connection to this worker's store, closed after the test. It sees only
        committed data: use it in tests marked `commits`."""
        db = self.store.connect()
        self._extra.append(db)
        return db

    def close_extra(self) -> None:
        while self._extra:
            self._extra.pop().close()
