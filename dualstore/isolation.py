"""Per-test isolation: every test starts from an empty store and leaves one behind.

Two modes, both on the worker's own migrated store (see `provision.base.WorkerStore`):

* rollback (the default `dualstore_db`): the test receives what the project's
  `Project.rollback` yields (by default the raw connection itself), and its writes are
  undone on exit (by default one `rollback()`, whatever the test wrote).
* committing (`@pytest.mark.dualstore_commits`, or the `dualstore_db_committing`
  fixture): for tests that need real commits (a second connection must see the data,
  concurrency, transactions that really end). Writes are committed; after the test,
  passed or not, the store is reset: by the project's `Project.reset`, else by emptying
  every table found in the catalog, children before parents, ledgers kept.

Reset choice (measured on this machine, README "Isolation cost"): `DELETE FROM` each
table beats `TRUNCATE` for the few rows a test writes. TRUNCATE's cost grows with the
number of tables, not rows (it recreates files and takes ACCESS EXCLUSIVE locks); SQLite
has no TRUNCATE at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dualstore.errors import BackendGone
from dualstore.project import Handle, Store
from dualstore.provision.base import WorkerStore, deletion_order
from dualstore.runinfo import BackendInfo


def gone_in(
    exc: BaseException | None, is_gone: Callable[[BaseException], bool]
) -> BaseException | None:
    """`exc` or the first exception in its chain that means "the backend went away": the
    harness's `BackendGone`, or one that `is_gone` says so of (the drivers', the project's)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BackendGone) or is_gone(exc):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _prepare(store: WorkerStore) -> None:
    """Before a test: finish a reset that an earlier test's cleanup could not do."""
    if store.needs_reset:
        reset(store)


@contextmanager
def rolled_back(store: WorkerStore) -> Iterator[Handle]:
    """What the test receives, inside the project's rollback isolation."""
    _prepare(store)
    try:
        with store.project.rollback(store.handle) as received:
            yield received
    except BaseException:
        # The rollback itself failed (e.g. the server went away): do not trust the store.
        store.needs_reset = True
        raise


@contextmanager
def committed(store: WorkerStore) -> Iterator[Handle]:
    """The store's handle, no isolation around it; the store is reset on exit."""
    _prepare(store)
    try:
        yield store.handle
    finally:
        reset(store)


def reset(store: WorkerStore) -> None:
    """Empty the store: the project's reset, else `default_reset`."""
    store.needs_reset = True
    if store.project.reset is not None:
        store.project.reset(store.store, store.handle)
    else:
        default_reset(store)
    store.needs_reset = False


def default_reset(store: WorkerStore) -> None:
    """Every table of the store, found from the catalog, emptied in foreign-key-safe
    order; the migrations ledger and the project's `keep_tables` stay."""
    conn = store.raw_connection()
    conn.rollback()  # whatever the test left open would hold locks the DELETEs wait for
    tables = store.provisioner.tables(conn)
    store.provisioner.empty_tables(conn, deletion_order(tables, store.project.kept_tables))


@dataclass(slots=True)
class BackendUnderTest:
    """What the `dualstore_backend` fixture gives a test: which backend, what it can do,
    and more handles on the same store. Tests should ask `has(capability)` (or better,
    mark the test `@pytest.mark.dualstore_requires(...)`), never compare `name`."""

    name: str
    info: BackendInfo
    worker: WorkerStore
    _extra: list[Handle] = field(default_factory=list)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self.info.capabilities)

    @property
    def server_version(self) -> str:
        return self.info.server_version

    @property
    def store(self) -> Store:
        """This worker's store on this backend."""
        return self.worker.store

    @property
    def location(self) -> str:
        """This worker's schema (PostgreSQL) or database file (SQLite)."""
        return self.worker.location

    def has(self, capability: str) -> bool:
        return str(capability) in self.info.capabilities

    def connect(self) -> Handle:
        """Another handle on this worker's store (the project's kind), closed after the
        test. It sees only committed data: use it in tests marked `dualstore_commits`."""
        handle = self.worker.project.open_handle(self.worker.store)
        self._extra.append(handle)
        return handle

    def close_extra(self) -> None:
        while self._extra:
            self.worker.project.close(self._extra.pop())
