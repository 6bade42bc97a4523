"""What provisioning produces, for every backend: a backend ready for the run
(`Provisioned`), a worker's own store (`WorkerStore`), and the `Provisioner` protocol that
each backend's module implements. Driver-free: the plugin, the fixtures and the isolation
code use only these types; the drivers live in the backends' modules.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dualstore.errors import HarnessError, ResetError
from dualstore.project import Handle, Project, Store
from dualstore.runinfo import BackendInfo, BackendUnavailable

if TYPE_CHECKING:
    from dualstore.serverurl import ServerUrl
    from dualstore.settings import HarnessConfig
    from dualstore.tempdirs import RunTempDir


@dataclass(slots=True)
class Provisioned:
    """A backend made ready for the run (controller side) and the steps that undo it."""

    info: BackendInfo
    notes: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], object]] = field(default_factory=list)
    #: problems that do not stop the run but need the user (printed once, in the summary)
    warnings: list[str] = field(default_factory=list)

    def close(self) -> list[str]:
        return undo(self.cleanups)


def undo(cleanups: list[Callable[[], object]]) -> list[str]:
    """Run cleanups newest first; collect failures instead of raising, so one failed
    step (e.g. the server already gone) does not leave the others undone."""
    problems: list[str] = []
    while cleanups:
        cleanup = cleanups.pop()
        try:
            cleanup()
        except Exception as exc:  # noqa: BLE001 - reported to the user, the rest still runs
            problems.append(f"cleanup {getattr(cleanup, '__qualname__', cleanup)}: {exc}")
    return problems


class Provisioner(Protocol):
    """One backend's provisioning, stores and the little SQL the harness itself runs (its
    migrations ledger, the catalog, the default reset). Raw connections are the driver's
    own DB-API connections (`Store.connect()`)."""

    #: True for a server that can go away mid-run (the outage breaker watches it)
    is_server: bool
    #: the driver's top-level modules, which every process of a run imports at start-up
    driver_modules: tuple[str, ...]

    def provision(
        self, cfg: HarnessConfig, run_id: str, tempdir: RunTempDir, project: Project
    ) -> Provisioned:
        """Controller, once per run: make the backend reachable or raise
        `BackendUnavailable` (after undoing whatever it had started)."""

    def create_store(self, info: BackendInfo, run_id: str, worker_id: str) -> Store:
        """Create this worker's empty store (a schema, a file name)."""

    def remove_store(self, store: Store) -> None:
        """Remove a store and everything in it."""

    def answers(self, info: BackendInfo, timeout: float) -> bool:
        """Whether the backend answers a query now (a fresh connection)."""

    def server_version(self, conn: Any) -> str: ...

    def describe(self, conn: Any) -> str:
        """What else the report header should say about the store (e.g. its collation)."""

    def applied_migrations(self, conn: Any) -> set[str]:
        """The migrations recorded in the ledger (created if missing)."""

    def apply_migration(self, conn: Any, name: str, sql: str) -> None:
        """Run one migration file and record it, in one transaction: all or nothing."""

    def tables(self, conn: Any) -> dict[str, frozenset[str]]:
        """Every table of the store -> the tables its foreign keys reference."""

    def empty_tables(self, conn: Any, tables: Sequence[str]) -> None:
        """Delete every row of `tables`, in this order, and commit."""

    def is_gone(self, exc: BaseException) -> bool:
        """Whether `exc`, a driver's error, means the server went away (not, say, a
        statement timeout, which the same driver class may also cover)."""


@dataclass(slots=True)
class WorkerStore:
    """One worker's own store on one backend: migrated once, its handle opened once,
    removed at the end."""

    store: Store
    project: Project
    provisioner: Provisioner
    handle: Handle
    setup_seconds: float
    #: set when a test's cleanup did not finish: the next test resets first
    needs_reset: bool = False
    #: a raw connection for the default reset when the handle is the project's own
    _raw: Any = None

    @property
    def backend(self) -> str:
        return self.store.backend

    @property
    def location(self) -> str:
        return self.store.location

    def raw_connection(self) -> Any:
        """The handle if it is a raw connection (the default), else one kept for this."""
        if self.project.handle is None:
            return self.handle
        if self._raw is None:
            self._raw = self.store.connect()
        return self._raw

    def close(self) -> None:
        try:
            try:
                if self._raw is not None:
                    self._raw.close()
            finally:
                self.project.close(self.handle)
        finally:
            self.provisioner.remove_store(self.store)


def migration_files(directory: Path) -> list[Path]:
    """A migrations directory's up migrations, in the order they apply."""
    return sorted(p for p in directory.glob("*.sql") if not p.name.endswith(".down.sql"))


def migrate(project: Project, provisioner: Provisioner, store: Store) -> None:
    """Give a fresh store the project's schema (see `Project.migrations`)."""
    migrations = project.migrations
    if migrations is None:
        return
    if not isinstance(migrations, Path):
        migrations(store)
        return
    conn = store.connect()
    try:
        applied = provisioner.applied_migrations(conn)
        for path in migration_files(migrations):
            if path.name in applied:
                continue
            try:
                provisioner.apply_migration(conn, path.name, path.read_text(encoding="utf-8"))
            except Exception as exc:  # noqa: BLE001 - any driver error, re-raised with context
                raise HarnessError(
                    f"migration {path} failed on {store.backend} ({store.location}): "
                    f"{store.scrubbed(exc)}; it was rolled back, and the migrations "
                    "before it stay applied. Fix the migration and rerun."
                ) from exc.with_traceback(None)
    finally:
        conn.close()


def open_worker_store(
    project: Project, provisioner: Provisioner, info: BackendInfo, run_id: str, worker_id: str
) -> WorkerStore:
    """Worker, once per backend: create, migrate and open this worker's store."""
    started = time.perf_counter()
    store = provisioner.create_store(info, run_id, worker_id)
    try:
        migrate(project, provisioner, store)
        handle = project.open_handle(store)
    except BaseException:
        provisioner.remove_store(store)
        raise
    elapsed = time.perf_counter() - started
    return WorkerStore(store, project, provisioner, handle, elapsed)


def probe(
    provisioner: Provisioner,
    project: Project,
    store: Store,
    *,
    target: ServerUrl | Path,
    source: str,
    started: float,
) -> BackendInfo:
    """Connect once with the driver: proves the store works, reads the server's version
    and the project's capabilities for this backend (tests select by capability, never by
    backend name)."""
    name = store.backend
    try:
        conn = store.connect()
        try:
            version = provisioner.server_version(conn)
            described = provisioner.describe(conn)
        finally:
            conn.close()
    except Exception as exc:  # noqa: BLE001 - any driver error: the message says which
        raise BackendUnavailable(
            name,
            f"connecting to the store {store.location} failed: {store.scrubbed(exc)}",
            "the server answered a plain query but a connection to the run's store failed; "
            "see the error above.",
        ) from None
    return BackendInfo(
        name=name,
        target=target,
        source=f"{source}, {described}" if described else source,
        server_version=version,
        capabilities=capabilities_of(project, store),
        ready_seconds=time.perf_counter() - started,
    )


def capabilities_of(project: Project, store: Store) -> tuple[str, ...]:
    """The project's capabilities for `store`'s backend (see `Project.capabilities`)."""
    declared = project.capabilities
    found: Iterable[str]
    if callable(declared):
        try:
            found = declared(store)
        except Exception as exc:  # noqa: BLE001 - the project's code: any error, reported
            raise BackendUnavailable(
                store.backend,
                f"the project's capabilities callable failed: {type(exc).__name__}: "
                f"{store.scrubbed(exc)}",
                "fix Project.capabilities (it is called once per run with a fresh, "
                "unmigrated store).",
            ) from None
    else:
        found = declared.get(store.backend, ())
    return tuple(sorted({str(c) for c in found}))


def deletion_order(tables: dict[str, frozenset[str]], keep: frozenset[str]) -> list[str]:
    """The tables to empty (all but `keep`), each one after every table that references
    it, so no foreign key is ever violated. Tables that reference each other in a cycle
    have no such order: that is a `ResetError` naming them."""
    remaining = {t: {r for r in refs if r != t and r in tables} for t, refs in tables.items()}
    order: list[str] = []
    while remaining:
        # a table no remaining table references can go now
        free = sorted(t for t in remaining if not any(t in refs for refs in remaining.values()))
        if not free:
            cycle = ", ".join(sorted(remaining))
            raise ResetError(
                f"the tables {cycle} reference each other in a cycle, so no order of "
                "DELETEs empties them: give Project(reset=...) a reset of your own (e.g. "
                "TRUNCATE ... CASCADE on PostgreSQL)"
            )
        for table in free:
            order.append(table)
            del remaining[table]
    return [t for t in order if t not in keep]
